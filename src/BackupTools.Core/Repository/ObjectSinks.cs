using System.Security.Cryptography;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Pipeline.Hashing;
using BackupTools.Core.Repository.Chunked;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>
/// Where an object's raw bytes go once ObjectWriteStream has hashed them: one stored object (format 1) or chunks in
/// packs (format 2). Input is disposed by the caller before Commit; Dispose without Commit discards.
/// </summary>
internal interface IObjectSink : IDisposable
{
    Stream Input { get; }
    ManifestObject Commit(long rawBytes, string rawSha256);
}

/// <summary>Format 1: compress → encrypt → stored hash → one pending object under backups/&lt;id&gt;/&lt;role&gt;.</summary>
internal sealed class SingleObjectSink : IObjectSink
{
    private readonly PendingObject _pending;
    private readonly HashingStream _stored;

    public SingleObjectSink(PendingObject pending, CompressionSettings compression, byte[]? dataKey, string? keyId, int segmentSize)
    {
        _pending = pending;
        _stored = new HashingStream(pending, leaveOpen: true);
        Stream encrypted = dataKey is null ? _stored : new SegmentedEncryptStream(_stored, dataKey, keyId!, segmentSize, leaveOpen: false);
        Input = CompressionCodec.Compress(encrypted, compression, leaveOpen: false);
    }

    public Stream Input { get; }

    public ManifestObject Commit(long rawBytes, string rawSha256)
    {
        var info = new ManifestObject
        {
            Key = _pending.Key, RawBytes = rawBytes, RawSha256 = rawSha256,
            StoredBytes = _stored.BytesCounted, Sha256 = _stored.HashHex,
        };
        _pending.Commit();
        return info;
    }

    public void Dispose() => _pending.Dispose();
}

/// <summary>Format 2: content-defined chunks into the backup's <see cref="ChunkStoreWriter"/>; the manifest lists their ids.</summary>
internal sealed class ChunkedObjectSink : IObjectSink, IChunkConsumer
{
    private readonly string _key;
    private readonly ChunkStoreWriter _chunks;
    private readonly List<ChunkId> _ids = new();
    private long _added;

    public ChunkedObjectSink(string key, ChunkStoreWriter chunks)
    {
        _key = key;
        _chunks = chunks;
        Input = new ChunkingStream(chunks.NewChunker(), this);
    }

    public Stream Input { get; }

    public void Accept(ReadOnlySpan<byte> chunk)
    {
        var (id, added) = _chunks.Store(chunk);
        _ids.Add(id);
        _added += added;
    }

    public ManifestObject Commit(long rawBytes, string rawSha256) => new()
    {
        Key = _key, RawBytes = rawBytes, RawSha256 = rawSha256,
        StoredBytes = _added, Sha256 = ChunkListHash(_ids), Chunks = _ids.Select(id => id.ToString()).ToList(),
    };

    /// <summary>A chunked object's "sha256": SHA-256 of its chunk ids (32 bytes each, in order) — what identifies its stored form.</summary>
    public static string ChunkListHash(IReadOnlyList<ChunkId> ids)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> bytes = stackalloc byte[ChunkId.Size];
        foreach (var id in ids)
        {
            id.WriteTo(bytes);
            hash.AppendData(bytes);
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    public void Dispose() { }
}
