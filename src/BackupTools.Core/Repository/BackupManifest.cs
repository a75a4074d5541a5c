using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace BackupTools.Core.Repository;

/// <summary>
/// manifest.json of one backup, written last: its presence is what makes a backup exist.
/// The schema is documented in docs/repository-format.md; bump FormatVersion on incompatible change.
/// </summary>
public sealed class BackupManifest
{
    public const string FormatName = "backuptools-manifest";
    /// <summary>The newest manifest format this version reads; chunked manifests are v2 so older readers refuse them.</summary>
    public const int CurrentFormatVersion = 2;
    public const int SingleObjectFormatVersion = 1;
    public const string SingleObjectLayout = "single-object";
    /// <summary>Format-2 repositories: objects are lists of chunks stored in packs (docs/repository-format.md, "Format 2").</summary>
    public const string ChunkedLayout = "chunked";

    [JsonPropertyName("format"), JsonConverter(typeof(PooledStringConverter))] public string Format { get; init; } = FormatName;
    [JsonPropertyName("formatVersion")] public int FormatVersion { get; init; } = SingleObjectFormatVersion;
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("cell"), JsonConverter(typeof(PooledStringConverter))] public required string Cell { get; init; }
    [JsonPropertyName("source"), JsonConverter(typeof(PooledStringConverter))] public required string Source { get; init; }
    [JsonPropertyName("engine"), JsonConverter(typeof(PooledStringConverter))] public required string Engine { get; init; }
    [JsonPropertyName("kind")] public required BackupKind Kind { get; init; }
    [JsonPropertyName("parentId"), JsonConverter(typeof(PooledStringConverter))] public string? ParentId { get; init; }
    [JsonPropertyName("startedAt")] public required DateTimeOffset StartedAt { get; init; }
    [JsonPropertyName("completedAt")] public required DateTimeOffset CompletedAt { get; init; }
    [JsonPropertyName("host"), JsonConverter(typeof(PooledStringConverter))] public required string Host { get; init; }
    [JsonPropertyName("toolVersion"), JsonConverter(typeof(PooledStringConverter))] public required string ToolVersion { get; init; }
    [JsonPropertyName("layout"), JsonConverter(typeof(PooledStringConverter))] public string Layout { get; init; } = SingleObjectLayout;
    [JsonPropertyName("compression")] public required ManifestCompression Compression { get; init; }
    [JsonPropertyName("encryption")] public ManifestEncryption? Encryption { get; init; }
    /// <summary>Objects by role: "data" always; engines may add more (cells add "index").</summary>
    [JsonPropertyName("objects")] public required Dictionary<string, ManifestObject> Objects { get; init; }
    [JsonPropertyName("engineInfo")]
    public JsonObject? EngineInfo
    {
        get => _engineInfo ??= EngineInfoText is { } text ? JsonNode.Parse(text)?.AsObject() : null;
        init => _engineInfo = value;
    }

    private JsonObject? _engineInfo;

    /// <summary>
    /// Catalog entries only (docs/repository-format.md, "The catalog"): the engine facts as JSON text (UTF-8), parsed
    /// on first use — a listing of 50,000 backups rarely looks at them, and a parsed tree costs several times the text.
    /// </summary>
    [JsonInclude, JsonPropertyName("engineInfoText"), JsonConverter(typeof(Utf8TextConverter))]
    internal byte[]? EngineInfoText { get; init; }
    [JsonPropertyName("tags")] public Dictionary<string, string> Tags { get; init; } = new();
    [JsonPropertyName("status"), JsonConverter(typeof(PooledStringConverter))] public string Status { get; init; } = "Completed";

    [JsonIgnore] public ManifestObject Data => Objects[DataRole];
    [JsonIgnore] public bool IsChunked => Layout == ChunkedLayout;
    /// <summary>
    /// Whether the object's bytes are chunks in packs: every object of a chunked backup except a writer-readable one,
    /// which is a single object in the backup's folder in both formats (a write-only host reads it back).
    /// </summary>
    public bool IsChunkedObject(ManifestObject obj) => IsChunked && obj.WrappedKey is null;
    public const string DataRole = "data";
}

/// <summary>
/// Strings that repeat from backup to backup (format, cell, engine, host, key id…): while a catalog segment is read
/// (<see cref="Share"/>), equal values are one shared string — 50,000 listed backups hold each once.
/// </summary>
internal sealed class PooledStringConverter : JsonConverter<string>
{
    private const int MaxPooled = 1 << 16;
    [ThreadStatic] private static Dictionary<string, string>? t_pool;

    /// <summary>Shares strings read on this thread until disposed.</summary>
    public static IDisposable Share()
    {
        var previous = t_pool;
        t_pool = new Dictionary<string, string>(StringComparer.Ordinal);
        return new Restore(previous);
    }

    public override string? Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
    {
        var value = reader.GetString();
        if (value is null || t_pool is not { } pool) return value;
        if (pool.TryGetValue(value, out var shared)) return shared;
        if (pool.Count < MaxPooled) pool[value] = value;
        return value;
    }

    public override void Write(System.Text.Json.Utf8JsonWriter writer, string value, System.Text.Json.JsonSerializerOptions options) => writer.WriteStringValue(value);

    private sealed class Restore(Dictionary<string, string>? previous) : IDisposable
    {
        public void Dispose() => t_pool = previous;
    }
}

/// <summary>A JSON string held as its UTF-8 bytes (half the memory of a .NET string).</summary>
internal sealed class Utf8TextConverter : JsonConverter<byte[]>
{
    public override byte[] Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
    {
        var buffer = new byte[reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length];
        return buffer[..reader.CopyString(buffer)];
    }

    public override void Write(System.Text.Json.Utf8JsonWriter writer, byte[] value, System.Text.Json.JsonSerializerOptions options) => writer.WriteStringValue(value);
}

public sealed class ManifestCompression
{
    [JsonPropertyName("algorithm"), JsonConverter(typeof(PooledStringConverter))] public required string Algorithm { get; init; }
    [JsonPropertyName("level")] public int Level { get; init; }
}

public sealed class ManifestEncryption
{
    [JsonPropertyName("algorithm")] public string Algorithm { get; init; } = "AES-256-GCM-STREAM";
    [JsonPropertyName("segmentSize")] public required int SegmentSize { get; init; }
    /// <summary>Id of the key-encryption key that wraps the data key.</summary>
    [JsonPropertyName("keyId"), JsonConverter(typeof(PooledStringConverter))] public required string KeyId { get; init; }
    /// <summary>The key's name (New-BackupKey -Name), so an error can ask for it by name; absent when it has none.</summary>
    [JsonPropertyName("keyName"), JsonConverter(typeof(PooledStringConverter))] public string? KeyName { get; init; }
    /// <summary>When the key was created (from its key file), for rotation warnings; absent for raw keys and older manifests.</summary>
    [JsonPropertyName("keyCreatedAt")] public DateTimeOffset? KeyCreatedAt { get; init; }
    /// <summary>
    /// The per-backup data key wrapped by the key-encryption key, bound to the backup id: base64 (AES-256-GCM, secret
    /// keys) or "ecdh-p384:…" (key pairs). Rotation adds wraps in keywraps/&lt;id&gt;.json, never here. Absent when the
    /// backup is chunked (format 2): each pack carries its own wrapped key.
    /// </summary>
    [JsonPropertyName("wrappedDataKey")] public string? WrappedDataKey { get; init; }
    /// <summary>
    /// Chunked (format 2): every key the backup's chunks needed when it was written — its own packs' key and those of the
    /// packs and index files it deduplicated against. Rotation records later changes in keywraps/&lt;id&gt;.json.
    /// </summary>
    [JsonPropertyName("keysNeeded")] public List<NeededKey>? KeysNeeded { get; init; }
}

public sealed class ManifestObject
{
    [JsonPropertyName("key")] public required string Key { get; init; }
    [JsonPropertyName("storedBytes")] public required long StoredBytes { get; init; }
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }
    [JsonPropertyName("rawBytes")] public required long RawBytes { get; init; }
    [JsonPropertyName("rawSha256")] public required string RawSha256 { get; init; }
    /// <summary>Chunked layout: the object's chunk ids in order (storedBytes is then what this backup added to packs, sha256 the hash of the id list).</summary>
    [JsonPropertyName("chunks")] public List<string>? Chunks { get; init; }
    /// <summary>
    /// A writer-readable object (a key pair's cell file-state index): encrypted under its own data key, wrapped with
    /// WriterKeyWrap under key <see cref="KeyId"/> (associated data "object:" + key). Null: the backup's data key.
    /// </summary>
    [JsonPropertyName("keyId")] public string? KeyId { get; init; }
    [JsonPropertyName("wrappedKey")] public string? WrappedKey { get; init; }
}
