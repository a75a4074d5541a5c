using System.Text.Json.Serialization;

namespace BackupTools.Core.Repository;

/// <summary>A key a backup needs to be read, with what is known of it (name and creation time when a key file gave them).</summary>
public sealed class NeededKey
{
    [JsonPropertyName("keyId")] public required string KeyId { get; init; }
    [JsonPropertyName("keyName")] public string? KeyName { get; init; }
    [JsonPropertyName("keyCreatedAt")] public DateTimeOffset? KeyCreatedAt { get; init; }
    /// <summary>Since when the backup needs it (a rotation's time); absent: since the backup was made.</summary>
    [JsonPropertyName("since")] public DateTimeOffset? Since { get; init; }

    public static NeededKey For(Keys.BackupKey key, DateTimeOffset? since = null) =>
        new() { KeyId = key.Id, KeyName = key.Name, KeyCreatedAt = key.KnownCreatedAt, Since = since };
}

/// <summary>
/// The keys a backup needs now. Format 1: the one key of its newest data-key wrap (<see cref="KeyWraps.Current"/>).
/// Format 2 (chunked): every key its chunks' index entries and packs are wrapped under — recorded by the writer in the
/// manifest (<c>encryption.keysNeeded</c>, so listings read it from the catalog) and by Update-BackupKey in
/// keywraps/&lt;id&gt;.json (<c>chunkKeys</c>) once the rotation has written every new index file. A chunked backup
/// written before either existed reports the key it was written with. See docs/keys.md.
/// </summary>
public static class NeededKeys
{
    public static IReadOnlyList<NeededKey> Of(BackupManifest manifest, KeyWrapRecord? record)
    {
        if (manifest.IsChunked && manifest.Encryption is { } e)
            return record?.ChunkKeys ?? e.KeysNeeded ?? [new NeededKey { KeyId = e.KeyId, KeyName = e.KeyName, KeyCreatedAt = e.KeyCreatedAt }];
        return KeyWraps.Current(manifest, record) is { } wrap
            ? [new NeededKey { KeyId = wrap.KeyId, KeyName = wrap.KeyName, KeyCreatedAt = wrap.KeyCreatedAt, Since = wrap.WrappedAt }]
            : [];
    }
}
