using System.Text.Json;
using System.Text.Json.Serialization;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>One wrapping of a backup's data key: which key-encryption key, and the wrapped bytes (bound to the backup id).</summary>
public sealed class KeyWrap
{
    [JsonPropertyName("keyId")] public required string KeyId { get; init; }
    [JsonPropertyName("keyName")] public string? KeyName { get; init; }
    /// <summary>When the key was created (key files record it); null for raw keys and older manifests.</summary>
    [JsonPropertyName("keyCreatedAt")] public DateTimeOffset? KeyCreatedAt { get; init; }
    /// <summary>The backup's data key wrapped under this key; null in a chunked backup's record (no backup data key: only <see cref="ObjectKeys"/>).</summary>
    [JsonPropertyName("wrappedDataKey")] public string? WrappedDataKey { get; init; }
    [JsonPropertyName("wrappedAt")] public DateTimeOffset? WrappedAt { get; init; }
    /// <summary>Writer-readable objects' own data keys re-wrapped under this key (role → WriterKeyWrap output).</summary>
    [JsonPropertyName("objectKeys")] public Dictionary<string, string>? ObjectKeys { get; init; }
}

/// <summary>keywraps/&lt;id&gt;.json: the data key of an encrypted backup re-wrapped by key rotation (newest last).</summary>
public sealed class KeyWrapRecord
{
    public const string FormatName = "backuptools-keywraps";
    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    [JsonPropertyName("version")] public int Version { get; init; } = 1;
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("wraps")] public required List<KeyWrap> Wraps { get; init; }
    /// <summary>Format 2 (chunked): the keys the backup's chunks need now, written by key rotation (see <see cref="NeededKeys"/>).</summary>
    [JsonPropertyName("chunkKeys")] public List<NeededKey>? ChunkKeys { get; init; }
}

/// <summary>
/// Rotation never rewrites a manifest (they are immutable, and may sit under object lock): a backup's extra wraps live in
/// keywraps/&lt;id&gt;.json, one small object replaced atomically. A reader tries the record's wraps (newest first), then
/// the manifest's own; the key a backup "needs" is the newest one. See docs/keys.md.
/// </summary>
public static class KeyWraps
{
    public const string Prefix = "keywraps/";
    private const string Suffix = ".json";

    public static string Key(string id) => $"{Prefix}{id}{Suffix}";

    /// <summary>The wrap a manifest was written with; null when unencrypted or chunked (each pack wraps its own key).</summary>
    public static KeyWrap? OfManifest(BackupManifest manifest) => manifest.Encryption is not { WrappedDataKey: { } wrapped } e ? null : new KeyWrap
    {
        KeyId = e.KeyId, KeyName = e.KeyName, KeyCreatedAt = e.KeyCreatedAt, WrappedDataKey = wrapped, WrappedAt = manifest.CompletedAt,
    };

    /// <summary>Every wrap of the backup's data key, the one it needs first: the record's newest to oldest, then the manifest's.</summary>
    public static IReadOnlyList<KeyWrap> All(BackupManifest manifest, KeyWrapRecord? record)
    {
        var all = new List<KeyWrap>();
        if (record != null) all.AddRange(Enumerable.Reverse(record.Wraps));
        if (OfManifest(manifest) is { } own) all.Add(own);
        return all;
    }

    /// <summary>The wrap that says which key the backup needs (null: not encrypted).</summary>
    public static KeyWrap? Current(BackupManifest manifest, KeyWrapRecord? record) => All(manifest, record).FirstOrDefault();

    public static KeyWrapRecord? Read(IBackupStore store, string id)
    {
        if (!store.Exists(Key(id))) return null;
        try
        {
            using var stream = store.OpenRead(Key(id));
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var record = RepositoryJson.Deserialize<KeyWrapRecord>(buffer.ToArray());
            return record.Format == KeyWrapRecord.FormatName && record.Id == id ? record : null; // a record moved from another backup means nothing
        }
        catch (Exception e) when (e is JsonException or StoreObjectNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Records of all backups that have one (one listing, then one read per record).</summary>
    public static Dictionary<string, KeyWrapRecord> ReadAll(IBackupStore store, CancellationToken cancel = default)
    {
        var records = new Dictionary<string, KeyWrapRecord>(StringComparer.Ordinal);
        foreach (var key in store.List(Prefix, cancel).ToList())
        {
            if (!key.EndsWith(Suffix, StringComparison.Ordinal)) continue;
            var id = key[Prefix.Length..^Suffix.Length];
            if (!BackupId.IsValid(id)) continue;
            if (Read(store, id) is { } record) records[id] = record;
        }
        return records;
    }

    /// <summary>Atomically replaces the record: a reader sees the old or the new list, whole.</summary>
    public static void Write(IBackupStore store, KeyWrapRecord record, CancellationToken cancel = default) =>
        store.Replace(Key(record.Id), RepositoryJson.Serialize(record), cancel);

    public static void Delete(IBackupStore store, string id)
    {
        if (store.Exists(Key(id))) store.Delete(Key(id));
    }
}
