using BackupTools.Core.Keys;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// The in-memory chunk → pack map of a repository, built from its index files. Refresh reads only files it has not
/// seen; when a file it had read is gone (a discarded backup's, or a later prune), it starts over, so it never
/// points at packs that were removed. Index files no given key opens are skipped (their chunks are simply not
/// deduplicated against, or reported missing on read).
/// </summary>
public sealed class ChunkIndex
{
    private readonly object _gate = new();
    private readonly Dictionary<ChunkId, ChunkLocation> _chunks = new();
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);

    public int Count { get { lock (_gate) return _chunks.Count; } }

    public void Refresh(IBackupStore store, BackupKeyRing keys, CancellationToken cancel = default)
    {
        var present = store.List(IndexFile.Prefix, cancel).Where(k => !k.Contains(".claims/", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        lock (_gate)
        {
            if (!_files.IsSubsetOf(present))
            {
                _files.Clear();
                _chunks.Clear();
            }
            foreach (var key in present.Where(k => !_files.Contains(k)).OrderBy(k => k, StringComparer.Ordinal))
            {
                cancel.ThrowIfCancellationRequested();
                if (!keys.Keys.Any()) break;
                IndexBody body;
                string fileKeyId;
                try { body = IndexFile.Read(store, key, keys, out fileKeyId, cancel); }
                catch (Errors.BackupKeyException) { continue; }
                foreach (var pack in body.Packs) Add(pack, fileKeyId);
                _files.Add(key);
            }
        }
    }

    public void Add(IndexedPack pack, string? indexKeyId = null)
    {
        lock (_gate)
        {
            foreach (var chunk in pack.Chunks)
                _chunks.TryAdd(ChunkId.Parse(chunk.Id), new ChunkLocation(pack.Pack, chunk.Offset, chunk.Length, chunk.RawLength, indexKeyId));
        }
    }

    public bool Contains(ChunkId id)
    {
        lock (_gate) return _chunks.ContainsKey(id);
    }

    public bool TryGet(ChunkId id, out ChunkLocation location)
    {
        lock (_gate) return _chunks.TryGetValue(id, out location);
    }
}
