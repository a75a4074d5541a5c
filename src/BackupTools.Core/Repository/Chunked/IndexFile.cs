using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// index/&lt;64 hex id&gt;: which chunks the packs of one backup hold. Body = a BTSEG stream (AES-256-GCM under a fresh
/// data key) of the JSON <see cref="IndexBody"/>, then the trailer whose footer holds that data key wrapped under a
/// key-encryption key (associated data "index:" + id) with <see cref="WriterKeyWrap"/>: a key pair's writer secret opens
/// it, so a backup host with only the public key reads the index to deduplicate. It holds ids, sizes and offsets and the
/// packs' wrapped data keys (wrapped to the public key: no content). Written after its packs and before the backup's manifest;
/// everything in it can be rebuilt from the packs' own headers.
/// </summary>
internal static class IndexFile
{
    public const string Prefix = "index/";
    public static ReadOnlySpan<byte> Magic => "BTINDX01"u8;

    public static string Write(IBackupStore store, BackupKey kek, int segmentSize, IndexBody body, CancellationToken cancel = default)
    {
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        var key = Prefix + id;
        var dataKey = DataKeys.NewDataKey();
        try
        {
            using var pending = store.OpenWrite(key, cancel);
            long bodyLength;
            using (var counted = new Pipeline.Hashing.HashingStream(pending, leaveOpen: true))
            {
                using (var encrypt = new SegmentedEncryptStream(counted, dataKey, kek.Id, segmentSize, leaveOpen: true))
                    JsonSerializer.Serialize(encrypt, body, RepositoryJson.Options);
                bodyLength = counted.BytesCounted;
            }
            SealedTrailer.Write(pending, new IndexFooter
            {
                KeyId = kek.Id, WrappedKey = WriterKeyWrap.Wrap(kek, dataKey, "index:" + id), BodyLength = bodyLength,
            }, Magic);
            pending.Commit();
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    public static IndexBody Read(IBackupStore store, string key, BackupKeyRing keys, CancellationToken cancel = default) =>
        Read(store, key, keys, out _, cancel);

    /// <param name="keyId">The key the file's data key is wrapped under (key rotation rewrites files of the old key).</param>
    public static IndexBody Read(IBackupStore store, string key, BackupKeyRing keys, out string keyId, CancellationToken cancel = default)
    {
        byte[] whole;
        using (var stream = store.OpenRead(key, cancel))
        using (var buffer = new MemoryStream())
        {
            stream.CopyTo(buffer);
            whole = buffer.ToArray();
        }
        var (footer, footerStart) = SealedTrailer.Read<IndexFooter>(whole, Magic, key);
        if (footer.BodyLength != footerStart)
            throw new BackupIntegrityException("ChunkedObjectMalformed", $"{key}: the footer says the body is {footer.BodyLength} bytes, it is {footerStart}.");
        keyId = footer.KeyId;
        var kek = keys.Find(footer.KeyId);
        var dataKey = WriterKeyWrap.Unwrap(kek, footer.WrappedKey, "index:" + key[Prefix.Length..]);
        try
        {
            using var decrypt = new SegmentedDecryptStream(new MemoryStream(whole, 0, footerStart), dataKey);
            return JsonSerializer.Deserialize<IndexBody>(decrypt, RepositoryJson.Options)
                ?? throw new BackupIntegrityException("ChunkedObjectMalformed", $"{key} holds an empty index.");
        }
        catch (JsonException e)
        {
            throw new BackupIntegrityException("ChunkedObjectMalformed", $"{key} does not hold a valid index: {e.Message}", inner: e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }
}

internal sealed class IndexFooter
{
    [JsonPropertyName("format")] public string Format { get; init; } = "backuptools-index";
    [JsonPropertyName("version")] public int Version { get; init; } = 1;
    [JsonPropertyName("keyId")] public required string KeyId { get; init; }
    [JsonPropertyName("wrappedKey")] public required string WrappedKey { get; init; }
    [JsonPropertyName("bodyLength")] public required long BodyLength { get; init; }
}

public sealed class IndexBody
{
    [JsonPropertyName("packs")] public List<IndexedPack> Packs { get; init; } = new();
    /// <summary>Key rotation: the ids of the index files this one re-wraps (deleted once every file has its new one).</summary>
    [JsonPropertyName("supersedes")] public List<string>? Supersedes { get; init; }
}

public sealed class IndexedPack
{
    [JsonPropertyName("pack")] public required PackRef Pack { get; init; }
    [JsonPropertyName("chunks")] public required List<IndexedChunk> Chunks { get; init; }
}

public sealed class IndexedChunk
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("offset")] public required long Offset { get; init; }
    [JsonPropertyName("length")] public required int Length { get; init; }
    [JsonPropertyName("rawLength")] public required int RawLength { get; init; }
}
