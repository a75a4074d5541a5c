using System.Security.Cryptography;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// Reads a chunked object: for each chunk id in order, its blob is fetched from its pack (a ranged read), decrypted
/// with the pack's data key, decompressed, and its HMAC recomputed and compared with the id before any byte is
/// released. A missing pack, a short blob, a failed tag or a wrong HMAC is an integrity error naming the pack.
/// The next chunk is fetched and decoded in the background while the caller consumes this one (never more than one
/// fetch at a time, so the decoding state is never shared). Memory: about two chunks.
/// </summary>
internal sealed class ChunkedReadStream : ReadOnlyForwardStream
{
    private readonly IBackupStore _store;
    private readonly ChunkIndex _index;
    private readonly BackupKeyRing _keys;
    private readonly ChunkHasher _hasher;
    private readonly IReadOnlyList<ChunkId> _ids;
    private readonly string _objectKey;
    private readonly CancellationToken _cancel;
    private readonly Dictionary<string, byte[]> _packKeys = new(StringComparer.Ordinal);
    private int _next;
    private Task<byte[]>? _ahead;
    private byte[] _chunk = [];
    private int _chunkOffset;

    public ChunkedReadStream(BackupRepository repository, BackupKeyRing keys, IReadOnlyList<ChunkId> ids, string objectKey, CancellationToken cancel = default)
    {
        _store = repository.Store;
        _keys = keys;
        _ids = ids;
        _objectKey = objectKey;
        _cancel = cancel;
        var secret = ChunkSecrets.ForReading(_store, keys);
        try { _hasher = new ChunkHasher(secret); }
        finally { CryptographicOperations.ZeroMemory(secret); }
        _index = repository.ChunkIndex;
        _index.Refresh(_store, keys, cancel);
    }

    /// <summary>Every chunk's location, or the first chunk no index file lists (checked before reading anything).</summary>
    public static IReadOnlyList<ChunkLocation> Locate(ChunkIndex index, IReadOnlyList<ChunkId> ids, string objectKey)
    {
        var locations = new List<ChunkLocation>(ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            if (!index.TryGet(ids[i], out var location))
                throw new BackupIntegrityException("ChunkNotInIndex",
                    $"{objectKey}: chunk {i} ({ids[i]}) is in no index file: its pack was lost or its index file removed or unreadable with the given keys.",
                    "Run Test-BackupIntegrity on the repository; restore this backup from another copy.");
            locations.Add(location);
        }
        return locations;
    }

    public override int Read(Span<byte> buffer)
    {
        while (_chunkOffset == _chunk.Length)
        {
            if (_next == _ids.Count && _ahead is null) return 0;
            _chunk = TakeNext();
            _chunkOffset = 0;
        }
        var n = Math.Min(buffer.Length, _chunk.Length - _chunkOffset);
        _chunk.AsSpan(_chunkOffset, n).CopyTo(buffer);
        _chunkOffset += n;
        return n;
    }

    /// <summary>The next chunk (waiting for its background fetch), then starts fetching the one after.</summary>
    private byte[] TakeNext()
    {
        var current = _ahead is { } pending ? pending.GetAwaiter().GetResult() : ReadChunk(_next++);
        _ahead = null;
        if (_next < _ids.Count)
        {
            var number = _next++;
            _ahead = Task.Run(() => ReadChunk(number));
        }
        return current;
    }

    private byte[] ReadChunk(int number)
    {
        _cancel.ThrowIfCancellationRequested();
        var id = _ids[number];
        var location = Locate(_index, [id], _objectKey)[0];
        var pack = location.Pack;
        byte[] blob;
        try { blob = _store.ReadRange(pack.Key, location.Offset, location.Length, _cancel); }
        catch (StoreObjectNotFoundException e)
        {
            throw new BackupIntegrityException("PackMissing", $"{_objectKey}: pack {pack.Key} (chunk {number}) is missing from the repository.",
                "Restore this backup from another copy of the repository.", e);
        }
        if (blob.Length != location.Length)
            throw new BackupIntegrityException("PackTruncated", $"{_objectKey}: pack {pack.Key} ends before chunk {number} (offset {location.Offset}, {location.Length} bytes): the pack was truncated.");
        return PackBlob.Decode(blob, PackKey(pack), pack.Compression, location.RawLength, id, _hasher, $"{_objectKey}: chunk {number} in pack {pack.Key}");
    }

    private byte[] PackKey(PackRef pack)
    {
        if (_packKeys.TryGetValue(pack.Id, out var key)) return key;
        var kek = _keys.Find(pack.KeyId);
        if (!kek.CanRead) throw KeyErrors.PrivateKeyRequired(kek, "", $"{_objectKey} (its chunks in pack {pack.Id})");
        key = DataKeyWrapper.Unwrap(kek, pack.WrappedKey, PackFormat.DataKeyAssociatedData(pack.Id));
        if (_packKeys.Count > 256)
        {
            foreach (var old in _packKeys.Values) CryptographicOperations.ZeroMemory(old);
            _packKeys.Clear();
        }
        _packKeys[pack.Id] = key;
        return key;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try { _ahead?.Wait(); } catch (AggregateException) { /* a fetch nobody will read */ }
            _hasher.Dispose();
            foreach (var key in _packKeys.Values) CryptographicOperations.ZeroMemory(key);
            _packKeys.Clear();
        }
        base.Dispose(disposing);
    }
}
