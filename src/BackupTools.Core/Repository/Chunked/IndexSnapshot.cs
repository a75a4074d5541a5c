using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// Everything the index files of a repository say at one moment, kept per file and per pack (unlike
/// <see cref="ChunkIndex"/>, which keeps one location per chunk for reading): which index files there are, which
/// could not be opened (and why), every pack they name with its chunks, and the packs actually stored with their
/// sizes. Prune and the repository check both start from it.
/// </summary>
internal sealed class IndexSnapshot
{
    public required IReadOnlyList<string> IndexFiles { get; init; }
    public required IReadOnlyDictionary<string, string> Unreadable { get; init; }
    /// <summary>Each indexed pack once (the first index file's entry wins; the same pack listed twice holds the same chunks).</summary>
    public required IReadOnlyDictionary<string, IndexedPack> Packs { get; init; }
    /// <summary>Stored pack objects (data/…) by pack id, with their sizes.</summary>
    public required IReadOnlyDictionary<string, long> Stored { get; init; }

    public static IndexSnapshot Load(IBackupStore store, BackupKeyRing keys, CancellationToken cancel = default)
    {
        var files = store.List(IndexFile.Prefix, cancel).Where(k => !k.Contains(".claims/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var unreadable = new Dictionary<string, string>(StringComparer.Ordinal);
        var packs = new Dictionary<string, IndexedPack>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                foreach (var pack in IndexFile.Read(store, file, keys, cancel).Packs) packs.TryAdd(pack.Pack.Id, pack);
            }
            catch (Exception e) when (e is BackupToolsException or StoreObjectNotFoundException)
            {
                unreadable[file] = e is BackupToolsException b ? $"{b.ErrorId}: {b.Message}" : e.Message;
            }
        }
        var stored = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var key in store.List(PackFormat.Prefix, cancel))
        {
            var id = key[(key.LastIndexOf('/') + 1)..];
            if (key != PackFormat.KeyOf(id) || id.Length != 64) continue; // not a pack (a temp part, a stray file)
            if (store.SizeOf(key, cancel) is { } size) stored[id] = size;
        }
        return new IndexSnapshot { IndexFiles = files, Unreadable = unreadable, Packs = packs, Stored = stored };
    }

    /// <summary>Chunk id → the indexed packs holding it.</summary>
    public Dictionary<ChunkId, List<string>> ChunkHolders()
    {
        var holders = new Dictionary<ChunkId, List<string>>();
        foreach (var (id, pack) in Packs)
        foreach (var chunk in pack.Chunks)
        {
            var chunkId = ChunkId.Parse(chunk.Id);
            if (!holders.TryGetValue(chunkId, out var list)) holders[chunkId] = list = new List<string>(1);
            if (!list.Contains(id)) list.Add(id);
        }
        return holders;
    }
}
