using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>What rebuilding the chunk index found and did.</summary>
public sealed record PackIndexOutcome(int Packs, int PacksReadFromHeaders, int IndexFilesWritten, int IndexFilesRemoved, int PacksUnreadable);

/// <summary>
/// Makes index/ describe data/ again (caller holds the exclusive lease): index files that open and list only packs
/// that exist are kept; damaged ones, and ones listing a pack that is gone, are replaced; every pack no kept file
/// lists — its index file lost, or a writer killed before writing it — is indexed from its own header. The new
/// index file is written before any old one is deleted, so a crash leaves duplicates, never a gap.
/// </summary>
internal static class PackIndexRebuild
{
    public static PackIndexOutcome Run(BackupRepository repository, BackupKeyRing keys, IOperationObserver observer, CancellationToken cancel)
    {
        var store = repository.Store;
        var packIds = store.List(PackFormat.Prefix, cancel).Select(PackIdOf).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var covered = new HashSet<string>(StringComparer.Ordinal);
        var fresh = new List<IndexedPack>();
        var replaced = new List<string>();
        foreach (var key in store.List(IndexFile.Prefix, cancel).Where(k => !k.Contains(".claims/", StringComparison.Ordinal)).ToList())
        {
            IndexBody body;
            try { body = IndexFile.Read(store, key, keys, cancel); }
            catch (BackupKeyException e)
            {
                observer.Warning($"{key} is kept unread: {e.Message}");
                continue;
            }
            catch (BackupIntegrityException e)
            {
                observer.Warning($"{key} is damaged and is replaced: {e.Message}");
                replaced.Add(key);
                continue;
            }
            var present = body.Packs.Where(p => packIds.Contains(p.Pack.Id)).ToList();
            if (present.Count < body.Packs.Count)
            {
                var gone = body.Packs.Where(p => !packIds.Contains(p.Pack.Id)).Select(p => p.Pack.Key).ToList();
                observer.Warning($"{key} lists {gone.Count} pack(s) that are missing ({string.Join(", ", gone.Take(3))}{(gone.Count > 3 ? ", …" : "")}); it is rewritten without them.");
                replaced.Add(key);
                fresh.AddRange(present);
            }
            covered.UnionWith(present.Select(p => p.Pack.Id));
        }
        var fromHeaders = 0;
        var unreadable = 0;
        foreach (var packId in packIds.Where(id => !covered.Contains(id)).Order(StringComparer.Ordinal))
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                fresh.Add(PackHeaderReader.Read(store, packId, keys, cancel));
                fromHeaders++;
            }
            catch (BackupToolsException e) when (e is BackupIntegrityException or BackupKeyException)
            {
                unreadable++;
                observer.Warning($"{PackFormat.KeyOf(packId)} could not be indexed: {e.Message}");
            }
        }
        var written = 0;
        if (fresh.Count > 0)
        {
            IndexFile.Write(store, keys.Current, repository.Config.Defaults.SegmentSize, new IndexBody { Packs = fresh }, cancel);
            written = 1;
        }
        foreach (var key in replaced) store.Delete(key, cancel);
        if (fromHeaders > 0) observer.Verbose($"Indexed {fromHeaders} pack(s) from their own headers.");
        return new PackIndexOutcome(packIds.Count, fromHeaders, written, replaced.Count, unreadable);
    }

    /// <summary>data/&lt;2 hex&gt;/&lt;64 hex&gt; → the pack id; anything else (create-exclusive claims, debris) → null.</summary>
    private static string? PackIdOf(string key)
    {
        var parts = key.Split('/');
        if (parts.Length != 3 || parts[2].Length != 64 || !parts[2].StartsWith(parts[1], StringComparison.Ordinal)) return null;
        return parts[2].All(Uri.IsHexDigit) ? parts[2] : null;
    }
}
