using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// The chunk side of one backup in a format-2 repository. A chunk already in the index (or already written by this
/// backup) is only referenced: it is neither compressed, encrypted nor uploaded again. New chunks go into packs of
/// about the repository's pack size; <see cref="Seal"/> closes the last pack and writes this backup's index file,
/// which must happen before the manifest. <see cref="Discard"/> removes the packs this backup wrote while no index file
/// names them yet; once its index file is (or may be) written, another writer under the shared lease may already
/// deduplicate against those packs, so they are left to prune, which frees what no manifest references.
/// </summary>
internal sealed class ChunkStoreWriter : IDisposable
{
    private readonly IBackupStore _store;
    private readonly ChunkIndex _index;
    private readonly BackupKey _kek;
    private readonly CompressionSettings _compression;
    private readonly int _segmentSize;
    private readonly int _packSize;
    private readonly byte[] _secret;
    private readonly ChunkHasher _hasher;
    private readonly ChunkCompressor _compressor;
    private readonly ChunkerParameters _parameters;
    private readonly HashSet<ChunkId> _written = new();
    private readonly List<IndexedPack> _packs = new();
    private readonly List<string> _writtenKeys = new();
    /// <summary>Keys of the packs and index files this backup deduplicated against (a reader needs them as well as <see cref="_kek"/>).</summary>
    private readonly HashSet<string> _reusedKeyIds = new(StringComparer.Ordinal);
    private PackWriter? _pack;
    private bool _indexMayExist;

    public ChunkStoreWriter(BackupRepository repository, BackupKeyRing keys, CompressionSettings compression, CancellationToken cancel = default)
    {
        _store = repository.Store;
        var chunking = repository.Config.Chunking!;
        chunking.EnsureWritable(_store.Location); // before ForWriting, which may write repository.json
        _secret = ChunkSecrets.ForWriting(_store, keys);
        _parameters = chunking.Parameters;
        _packSize = chunking.PackSize;
        _index = repository.ChunkIndex;
        _index.Refresh(_store, keys, cancel);
        _kek = keys.Current;
        _compression = compression;
        _segmentSize = repository.Config.Defaults.SegmentSize;
        _hasher = new ChunkHasher(_secret);
        _compressor = new ChunkCompressor(compression);
    }

    /// <summary>Bytes this backup added to packs (new blobs only).</summary>
    public long NewStoredBytes { get; private set; }
    public int NewChunks { get; private set; }
    public int ReusedChunks { get; private set; }

    public ContentDefinedChunker NewChunker() => new(_secret, _parameters);

    /// <summary>Stores a chunk unless the repository has it; returns its id and the stored bytes it added (0 when reused).</summary>
    public (ChunkId Id, long Added) Store(ReadOnlySpan<byte> chunk)
    {
        var id = _hasher.IdOf(chunk);
        if (_written.Contains(id)) { ReusedChunks++; return (id, 0); }
        if (_index.TryGet(id, out var existing))
        {
            ReusedChunks++;
            _reusedKeyIds.Add(existing.Pack.KeyId);
            if (existing.IndexKeyId != null) _reusedKeyIds.Add(existing.IndexKeyId);
            return (id, 0);
        }
        _pack ??= new PackWriter(_store, _kek, _compression, _segmentSize);
        var added = _pack.Add(id, chunk, _compressor);
        _written.Add(id);
        NewChunks++;
        NewStoredBytes += added;
        if (_pack.Size >= _packSize) ClosePack();
        return (id, added);
    }

    private void ClosePack()
    {
        if (_pack is null) return;
        var pack = _pack;
        _pack = null;
        using (pack)
        {
            var reference = pack.Finish();
            _writtenKeys.Add(reference.Key);
            _packs.Add(new IndexedPack
            {
                Pack = reference,
                Chunks = pack.Entries.Select(e => new IndexedChunk { Id = e.Id.ToString(), Offset = e.Offset, Length = e.Length, RawLength = e.RawLength }).ToList(),
            });
        }
    }

    /// <summary>
    /// The keys reading this backup needs, as the index says now: this writer's key when it stored new chunks, then the
    /// keys of what it deduplicated against (several after a rotation that is not finished, or with a write-only host's
    /// pair beside a secret key). Call after <see cref="Seal"/>.
    /// </summary>
    public IReadOnlyList<string> KeyIdsNeeded()
    {
        var ids = new List<string>();
        if (NewChunks > 0 || _reusedKeyIds.Count == 0) ids.Add(_kek.Id);
        ids.AddRange(_reusedKeyIds.Where(k => k != _kek.Id).Order(StringComparer.Ordinal));
        return ids;
    }

    /// <summary>Closes the open pack and writes the index file of the packs this backup wrote (none: no index file).</summary>
    public void Seal(CancellationToken cancel = default)
    {
        ClosePack();
        if (_packs.Count == 0) return;
        // Not added to the shared in-memory index here: the next backup's Refresh reads the file, so a backup discarded
        // after this point (its manifest failed) leaves no entry pointing at its deleted packs.
        _indexMayExist = true; // set before the write: a write that fails after storing the file must not let Discard delete its packs
        _writtenKeys.Add(IndexFile.Write(_store, _kek, _segmentSize, new IndexBody { Packs = _packs }, cancel));
    }

    /// <summary>Removes the packs this backup stored, unless its index file may exist: then they stay for prune.</summary>
    public void Discard()
    {
        _pack?.Dispose();
        _pack = null;
        if (_indexMayExist)
        {
            _writtenKeys.Clear();
            return;
        }
        foreach (var key in Enumerable.Reverse(_writtenKeys))
        {
            try { _store.Delete(key); } catch (Exception e) when (e is IOException or Errors.BackupToolsException) { /* left for prune */ }
        }
        _writtenKeys.Clear();
    }

    public void Dispose()
    {
        _pack?.Dispose();
        _hasher.Dispose();
        _compressor.Dispose();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_secret);
    }
}
