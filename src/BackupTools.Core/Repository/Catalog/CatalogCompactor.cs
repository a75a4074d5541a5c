using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Catalog;

/// <summary>
/// Keeps the catalog few files: writers fold loose entries into a small new segment and, when segments pile up,
/// merge them into one; whatever deletes backups (exclusive lease) compacts fully, dropping tombstoned backups and
/// reconciling with the manifests. Every step writes its new segment first and only then deletes what it covers,
/// so a crash anywhere leaves duplicates (harmless: readers take the union), never a gap. Shared-lease holders run
/// concurrently and may each write a segment; tombstones are removed only under the exclusive lease, when no
/// other writer runs.
/// </summary>
internal static class CatalogCompactor
{
    private static int FoldThreshold => CatalogMaintenance.FoldThreshold;
    private static int MaxSegments => CatalogMaintenance.MaxSegments;
    /// <summary>A loose entry without a manifest is debris only when no live lease claims it and it is older than this.</summary>
    public static TimeSpan OrphanGrace { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>After a manifest was written under a shared lease: builds a missing catalog, folds, or merges, when due.</summary>
    public static void AfterCommit(BackupRepository repository, CancellationToken cancel)
    {
        var keys = repository.Store.List(CatalogKeys.Prefix, cancel).ToList();
        var segments = keys.Count(CatalogKeys.IsSegment);
        if (segments == 0) Build(repository, NullObserver.Instance, cancel);
        else if (CatalogReader.IdsUnder(keys, CatalogKeys.EntriesPrefix) is { Count: var loose } entries && loose >= FoldThreshold)
        {
            if (MayDelete(repository.Store, cancel)) Fold(repository, entries, cancel);
        }
        else if (segments > MaxSegments && MayDelete(repository.Store, cancel)) MergeSmallest(repository.Store, keys.Where(CatalogKeys.IsSegment).ToList(), cancel);
    }

    /// <summary>
    /// Size-tiered: the smallest segments become one, so a large old segment is rewritten only once the small ones
    /// have grown about as large (each entry is rewritten O(log n) times, not at every merge). A union of
    /// segments needs no manifest checks: each entry in them was valid when written and deletions are tombstoned.
    /// </summary>
    internal static void MergeSmallest(IBackupStore store, List<string> segments, CancellationToken cancel)
    {
        var bySize = segments.Select(key => (Key: key, Size: store.SizeOf(key, cancel) ?? -1)).Where(s => s.Size >= 0).OrderBy(s => s.Size).ToList();
        // The smallest ones, while the next is at most twice what is taken so far: merged sizes grow geometrically.
        var smallest = new List<string>();
        long taken = 0;
        foreach (var (key, size) in bySize)
        {
            if (smallest.Count >= 2 && size > 2 * taken) break;
            smallest.Add(key);
            taken += size;
        }
        var union = new Dictionary<string, BackupManifest>(StringComparer.Ordinal);
        try
        {
            foreach (var key in smallest)
                foreach (var backup in CatalogSegment.Read(store, key, cancel))
                    union.TryAdd(backup.Id, backup);
        }
        catch (StoreObjectNotFoundException) { return; } // another writer merged them first
        var merged = CatalogSegment.Write(store, union.Values.ToList(), cancel, CatalogKeys.MergedSegment(smallest));
        DeleteAll(store, [], cancel, segmentsFirst: smallest.Where(key => key != merged));
    }

    /// <summary>
    /// A least-privilege backup credential may not delete under catalog/: then folding would only add segments, so it
    /// is left to the next maintenance run (retention, Remove-Backup), whose credential may. Probed by deleting a
    /// key that never exists (allowed: 204; denied: 403).
    /// </summary>
    private static bool MayDelete(IBackupStore store, CancellationToken cancel)
    {
        try
        {
            store.Delete($"{CatalogKeys.EntriesPrefix}delete-probe-{Guid.NewGuid():N}.json", cancel);
            return true;
        }
        catch (BackupToolsException e) when (e.ErrorId == "S3AccessDenied") { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// A segment of every manifest in the repository (read one by one, as the old listing did), replacing the catalog
    /// files seen before. Repair-BackupRepository -RebuildIndex, and the first writer of a repository without a catalog.
    /// </summary>
    public static int Build(BackupRepository repository, IOperationObserver observer, CancellationToken cancel)
    {
        var store = repository.Store;
        var before = store.List(CatalogKeys.Prefix, cancel).ToList();
        var manifests = repository.ListManifests(observer, cancel);
        CatalogSegment.Write(store, manifests, cancel);
        var exclusive = repository.HeldLock?.IsExclusive == true;
        var ids = manifests.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        // Under a shared lease another writer may be between its entry and its manifest: keep entries not covered.
        var others = before.Where(key => (CatalogKeys.IdOf(key, CatalogKeys.EntriesPrefix) is { } id && (exclusive || ids.Contains(id)))
                                         || (exclusive && CatalogKeys.IdOf(key, CatalogKeys.DeletedPrefix) != null));
        DeleteAll(store, others, cancel, segmentsFirst: before.Where(CatalogKeys.IsSegment));
        return manifests.Count;
    }

    /// <summary>Loose entries whose manifest exists go into one new segment; entries of writers that died before their manifest go.</summary>
    private static void Fold(BackupRepository repository, Dictionary<string, string> loose, CancellationToken cancel)
    {
        var store = repository.Store;
        var found = new System.Collections.Concurrent.ConcurrentDictionary<string, BackupManifest>(StringComparer.Ordinal);
        var orphans = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(loose, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancel }, pair =>
        {
            if (!store.Exists(BackupRepository.ManifestKey(pair.Key), cancel)) { orphans.Add(pair.Value); return; }
            BackupManifest? entry;
            try { entry = CatalogEntry.TryRead(store, pair.Key, cancel); }
            catch (BackupIntegrityException) { entry = Summary(repository, pair.Key, cancel); } // a damaged entry: the manifest says it all
            if (entry != null) found[pair.Key] = entry;
        });
        if (found.Count > 0) CatalogSegment.Write(store, found.Values.ToList(), cancel);
        DeleteAll(store, found.Keys.Select(id => loose[id]), cancel);
        RemoveOrphans(store, orphans.ToList(), cancel);
    }

    /// <summary>
    /// One segment for the whole catalog, replacing every segment, entry and (exclusive) tombstone it covers.
    /// Exclusive: also reconciles with the manifests present (a key listing, no manifest reads except for backups
    /// the catalog lacks), so a backup written by an older version appears and one deleted behind the catalog's back goes.
    /// </summary>
    public static void Compact(BackupRepository repository, IOperationObserver observer, bool exclusive, CancellationToken cancel)
    {
        var store = repository.Store;
        var snapshot = CatalogReader.TryRead(repository, cancel);
        if (snapshot is null)
        {
            Build(repository, observer, cancel);
            return;
        }
        if (exclusive) Reconcile(repository, snapshot.Backups, observer, cancel);
        CatalogSegment.Write(store, snapshot.Backups.Values.ToList(), cancel);
        DeleteAll(store, snapshot.FoldableEntries.Concat(exclusive ? snapshot.Tombstones : []), cancel, segmentsFirst: snapshot.SegmentKeys);
        RemoveOrphans(store, snapshot.OrphanEntries, cancel);
    }

    private static void Reconcile(BackupRepository repository, Dictionary<string, BackupManifest> backups, IOperationObserver observer, CancellationToken cancel)
    {
        var present = repository.Store.List(BackupRepository.BackupsPrefix, cancel)
            .Where(k => k.EndsWith("/manifest.json", StringComparison.Ordinal))
            .Select(k => k[BackupRepository.BackupsPrefix.Length..k.LastIndexOf('/')])
            .ToHashSet(StringComparer.Ordinal);
        var ghosts = backups.Keys.Where(id => !present.Contains(id)).ToList();
        foreach (var id in ghosts) backups.Remove(id);
        var added = 0;
        foreach (var id in present.Where(id => !backups.ContainsKey(id)))
            if (Summary(repository, id, cancel, observer) is { } manifest) { backups[id] = manifest; added++; }
        if (ghosts.Count > 0) observer.Warning($"The catalog listed {ghosts.Count} backup(s) whose manifest is gone (deleted without BackupTools?): {Sample(ghosts)}; removed from the catalog.");
        if (added > 0) observer.Warning($"{added} backup(s) had no catalog entry (written by an older version, or copied in by hand); added to the catalog.");
    }

    private static string Sample(IReadOnlyList<string> ids) => string.Join(", ", ids.Take(5)) + (ids.Count > 5 ? ", …" : "");

    private static BackupManifest? Summary(BackupRepository repository, string id, CancellationToken cancel, IOperationObserver? observer = null)
    {
        try { return repository.GetManifest(id, cancel); }
        catch (BackupToolsException e) when (e is not StoreObjectNotFoundException)
        {
            observer?.Warning($"Skipping backup {id}: {e.Message}");
            return null;
        }
        catch (StoreObjectNotFoundException) { return null; }
    }

    /// <summary>Loose entries without a manifest whose writer is gone: not claimed by a live lease, old, and still without a manifest.</summary>
    private static void RemoveOrphans(IBackupStore store, IReadOnlyList<string> orphans, CancellationToken cancel)
    {
        if (orphans.Count == 0) return;
        var (writing, unknown) = WriterLock.InFlight(store, cancel);
        if (unknown) return;
        var now = DateTimeOffset.UtcNow;
        foreach (var key in orphans)
        {
            var id = CatalogKeys.IdOf(key, CatalogKeys.EntriesPrefix);
            if (id is null || writing.Contains(id)) continue;
            BackupManifest? entry;
            try { entry = CatalogEntry.TryRead(store, id, cancel); }
            catch (BackupIntegrityException) { entry = null; }
            if (entry != null && now - entry.CompletedAt < OrphanGrace) continue;
            if (store.Exists(BackupRepository.ManifestKey(id), cancel)) continue; // finished after all
            DeleteQuietly(store, key, cancel);
        }
    }

    /// <summary>Superseded segments first, then entries and tombstones: while a tombstone exists no segment that still lists its backup is trusted.</summary>
    private static void DeleteAll(IBackupStore store, IEnumerable<string> keys, CancellationToken cancel, IEnumerable<string>? segmentsFirst = null)
    {
        foreach (var key in (segmentsFirst ?? []).ToList()) DeleteQuietly(store, key, cancel);
        foreach (var key in keys.ToList()) DeleteQuietly(store, key, cancel);
    }

    private static void DeleteQuietly(IBackupStore store, string key, CancellationToken cancel)
    {
        try { store.Delete(key, cancel); }
        catch (StoreObjectNotFoundException) { /* another compaction was first */ }
    }
}
