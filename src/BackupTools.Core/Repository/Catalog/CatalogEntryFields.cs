using System.Text.Json;

namespace BackupTools.Core.Repository.Catalog;

/// <summary>
/// The listing's view of one catalog entry line, read with a <see cref="Utf8JsonReader"/> instead of a whole
/// <see cref="BackupManifest"/>: the fields Get-Backup filters on are read at once (strings that repeat from backup
/// to backup shared), the per-backup ones (hashes, data key, engine facts) are only located, and become strings
/// in <see cref="ToRecord"/> when the backup is kept — a filtered listing of 50,000 backups builds few.
/// One instance is reused line after line (not thread-safe).
/// </summary>
internal sealed class CatalogEntryFields
{
    private static readonly IReadOnlyDictionary<string, string> NoTags = new Dictionary<string, string>();
    private readonly SharedStrings _shared = new();
    private byte[] _scratch = new byte[4096];

    public string Id { get; private set; } = "";
    public string Cell { get; private set; } = "";
    public string Source { get; private set; } = "";
    public string Engine { get; private set; } = "";
    public BackupKind Kind { get; private set; }
    public DateTimeOffset StartedAt { get; private set; }
    public bool IsSafetyBackup => _tags?.GetValueOrDefault("reason") == SafetyBackup.Reason;

    private string? _format, _layout, _parentId, _host, _toolVersion, _status, _compression, _keyId, _keyName;
    private List<(string Id, string? Name)>? _keysNeeded;
    private int _compressionLevel;
    private DateTimeOffset _completedAt;
    private long _rawBytes, _storedBytes;
    private bool _hasData, _hasWrappedDataKey, _engineInfoIsText;
    private Range _dataKey, _sha256, _rawSha256, _engineInfo;
    private Dictionary<string, string>? _tags;

    /// <summary>Reads a line; <see cref="Errors.BackupIntegrityException"/> (CatalogDamaged) when it is not a backup summary.</summary>
    public void Parse(ReadOnlySpan<byte> line, string where)
    {
        Reset();
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new JsonException("not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader;
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null) continue;
                ReadProperty(ref name, ref reader);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw CatalogErrors.Damaged(where, e.Message, e);
        }
        if (_format != BackupManifest.FormatName || !BackupId.IsValid(Id) || !_hasData || IsMissing(_dataKey) || IsMissing(_sha256) || IsMissing(_rawSha256))
            throw CatalogErrors.Damaged(where, $"not a backup summary (format '{_format}', id '{Id}')");
    }

    private void ReadProperty(ref Utf8JsonReader name, ref Utf8JsonReader value)
    {
        if (name.ValueTextEquals("id"u8)) Id = value.GetString()!;
        else if (name.ValueTextEquals("cell"u8)) Cell = _shared.Read(ref value);
        else if (name.ValueTextEquals("source"u8)) Source = _shared.Read(ref value);
        else if (name.ValueTextEquals("engine"u8)) Engine = _shared.Read(ref value);
        else if (name.ValueTextEquals("kind"u8)) Kind = ReadKind(ref value);
        else if (name.ValueTextEquals("startedAt"u8)) StartedAt = value.GetDateTimeOffset();
        else if (name.ValueTextEquals("completedAt"u8)) _completedAt = value.GetDateTimeOffset();
        else if (name.ValueTextEquals("objects"u8)) ReadObjects(ref value);
        else if (name.ValueTextEquals("engineInfoText"u8)) (_engineInfo, _engineInfoIsText) = (LocateString(ref value), true);
        else if (name.ValueTextEquals("engineInfo"u8)) (_engineInfo, _engineInfoIsText) = (Locate(ref value), false);
        else if (name.ValueTextEquals("format"u8)) _format = _shared.Read(ref value);
        else if (name.ValueTextEquals("layout"u8)) _layout = _shared.Read(ref value);
        else if (name.ValueTextEquals("parentId"u8)) _parentId = _shared.Read(ref value);
        else if (name.ValueTextEquals("host"u8)) _host = _shared.Read(ref value);
        else if (name.ValueTextEquals("toolVersion"u8)) _toolVersion = _shared.Read(ref value);
        else if (name.ValueTextEquals("status"u8)) _status = _shared.Read(ref value);
        else if (name.ValueTextEquals("compression"u8)) ReadCompression(ref value);
        else if (name.ValueTextEquals("encryption"u8)) ReadEncryption(ref value);
        else if (name.ValueTextEquals("tags"u8)) ReadTags(ref value);
        else value.Skip();
    }

    private void ReadObjects(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isData = reader.ValueTextEquals(BackupManifest.DataRole);
            reader.Read();
            Expect(ref reader, JsonTokenType.StartObject);
            _hasData |= isData;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader;
                reader.Read();
                if (name.ValueTextEquals("storedBytes"u8)) _storedBytes += reader.GetInt64();
                else if (!isData || reader.TokenType == JsonTokenType.Null) reader.Skip();
                else if (name.ValueTextEquals("key"u8)) _dataKey = LocateString(ref reader);
                else if (name.ValueTextEquals("sha256"u8)) _sha256 = LocateString(ref reader);
                else if (name.ValueTextEquals("rawSha256"u8)) _rawSha256 = LocateString(ref reader);
                else if (name.ValueTextEquals("rawBytes"u8)) _rawBytes = reader.GetInt64();
                else reader.Skip();
            }
        }
    }

    private void ReadCompression(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader;
            reader.Read();
            if (name.ValueTextEquals("algorithm"u8)) _compression = _shared.Read(ref reader);
            else if (name.ValueTextEquals("level"u8)) _compressionLevel = reader.GetInt32();
            else reader.Skip();
        }
    }

    private void ReadEncryption(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader;
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null) continue;
            if (name.ValueTextEquals("keyId"u8)) _keyId = _shared.Read(ref reader);
            else if (name.ValueTextEquals("keyName"u8)) _keyName = _shared.Read(ref reader);
            else if (name.ValueTextEquals("wrappedDataKey"u8)) _hasWrappedDataKey = true;
            else if (name.ValueTextEquals("keysNeeded"u8)) ReadKeysNeeded(ref reader);
            else reader.Skip();
        }
    }

    /// <summary>A chunked backup's keys (encryption.keysNeeded): only id and name, what the record shows.</summary>
    private void ReadKeysNeeded(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartArray);
        _keysNeeded = [];
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            string? id = null, keyName = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader;
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null) continue;
                if (name.ValueTextEquals("keyId"u8)) id = _shared.Read(ref reader);
                else if (name.ValueTextEquals("keyName"u8)) keyName = _shared.Read(ref reader);
                else reader.Skip();
            }
            _keysNeeded.Add((id ?? throw new JsonException("a keysNeeded entry has no keyId"), keyName));
        }
    }

    /// <summary>The keys the backup needs now, as <see cref="NeededKeys.Of"/> says from a whole manifest.</summary>
    private IReadOnlyList<(string Id, string? Name)> NeededKeysNow(KeyWrapRecord? rotated)
    {
        if (_layout == BackupManifest.ChunkedLayout && _keyId != null)
            return rotated?.ChunkKeys is { } rewrapped ? rewrapped.Select(k => (k.KeyId, k.KeyName)).ToList()
                : _keysNeeded ?? [(_keyId, _keyName)];
        var current = rotated?.Wraps is { Count: > 0 } wraps ? wraps[^1] : null;
        if (current != null) return [(current.KeyId, current.KeyName)];
        return _hasWrappedDataKey && _keyId != null ? [(_keyId, _keyName)] : [];
    }

    private void ReadTags(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = _shared.Read(ref reader);
            reader.Read();
            (_tags ??= new Dictionary<string, string>())[key] = reader.GetString()!;
        }
    }

    private BackupKind ReadKind(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number ? (BackupKind)reader.GetInt32()
        : Enum.TryParse<BackupKind>(_shared.Read(ref reader), ignoreCase: true, out var kind) ? kind
        : throw new JsonException($"unknown backup kind '{reader.GetString()}'");

    /// <summary>Where a value's token is in the line: read into a string or bytes only if the backup is kept.</summary>
    private static Range LocateString(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.String);
        return Locate(ref reader);
    }

    private static Range Locate(ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return new Range(start, (int)reader.BytesConsumed);
    }

    private static bool IsMissing(Range at) => at.End.Value == 0;

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (reader.TokenType != type) throw new JsonException($"expected {type}, found {reader.TokenType}");
    }

    /// <summary>The kept backup as Get-Backup's record (what ManifestRecords.ToRecord makes of a whole manifest).</summary>
    /// <param name="rotated">The backup's key rotation record, whose newest wrap names the key it needs now.</param>
    public BackupRecord ToRecord(ReadOnlySpan<byte> line, string repository, KeyWrapRecord? rotated)
    {
        var needed = NeededKeysNow(rotated);
        return new BackupRecord
        {
            Id = Id,
            Cell = Cell,
            Source = Source,
            Engine = Engine,
            Kind = Kind,
            ParentId = _parentId,
            StartedAt = StartedAt,
            CompletedAt = _completedAt,
            RawBytes = _rawBytes,
            StoredBytes = _storedBytes,
            Sha256Hex = HexAt(line, _sha256),
            RawSha256Hex = HexAt(line, _rawSha256),
            Compression = _shared.Compression(_compression ?? "none", _compressionLevel),
            KeyId = needed.Count > 0 ? needed[0].Id : null,
            KeyName = needed.Count > 0 ? needed[0].Name : null,
            KeyIds = needed.Count == 0 ? [] : needed.Select(k => k.Id).ToArray(),
            Repository = repository,
            Location = LocationAt(line)!,
            Host = _host ?? "",
            ToolVersion = _toolVersion ?? "",
            EngineInfoJson = EngineInfoBytes(line),
            Tags = _tags ?? NoTags,
            Status = _status ?? "Completed",
            IsSafetyBackup = IsSafetyBackup,
        };
    }

    /// <summary>A hash as bytes when it is lowercase hex (as written), else as the text it is.</summary>
    private static HexText HexAt(ReadOnlySpan<byte> line, Range at)
    {
        var value = line[at][1..^1]; // inside the quotes
        return HexText.TryParse(value) ?? new HexText(StringAt(line, at));
    }

    /// <summary>The data object's key; null for the usual one, backups/&lt;id&gt;/data, which BackupRecord rebuilds on demand.</summary>
    private string? LocationAt(ReadOnlySpan<byte> line)
    {
        var value = line[_dataKey][1..^1];
        var usual = value.Length == Id.Length + 13 && value.StartsWith("backups/"u8) && value.EndsWith("/data"u8);
        for (var i = 0; usual && i < Id.Length; i++) usual = value[8 + i] == Id[i]; // ids are ASCII (BackupId.IsValid)
        return usual ? null : StringAt(line, _dataKey);
    }

    private static string StringAt(ReadOnlySpan<byte> line, Range at)
    {
        var reader = new Utf8JsonReader(line[at]);
        reader.Read();
        return reader.GetString()!;
    }

    /// <summary>The engine facts as UTF-8 JSON: the text of engineInfoText unescaped, or the engineInfo object as it stands.</summary>
    private byte[]? EngineInfoBytes(ReadOnlySpan<byte> line)
    {
        if (IsMissing(_engineInfo)) return null;
        if (!_engineInfoIsText) return line[_engineInfo].ToArray();
        var reader = new Utf8JsonReader(line[_engineInfo]);
        reader.Read();
        if (!reader.ValueIsEscaped) return reader.ValueSpan.ToArray();
        if (_scratch.Length < reader.ValueSpan.Length) _scratch = new byte[reader.ValueSpan.Length * 2];
        return _scratch.AsSpan(0, reader.CopyString(_scratch)).ToArray(); // one array of the exact size per record
    }

    private void Reset()
    {
        Id = Cell = Source = Engine = "";
        Kind = default;
        StartedAt = _completedAt = default;
        _format = BackupManifest.FormatName; // as the serializer's default
        _layout = _parentId = _host = _toolVersion = _status = _compression = _keyId = _keyName = null;
        _keysNeeded = null;
        _compressionLevel = 0;
        _rawBytes = _storedBytes = 0;
        _hasData = _hasWrappedDataKey = _engineInfoIsText = false;
        _dataKey = _sha256 = _rawSha256 = _engineInfo = default;
        _tags = null;
    }
}
