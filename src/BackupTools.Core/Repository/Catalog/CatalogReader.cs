using System.Collections.Concurrent;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Catalog;

/// <summary>What the catalog says now, and which of its files that view was built from (compaction deletes those).</summary>
internal sealed class CatalogSnapshot
{
    /// <summary>Backups whose manifest exists, by id.</summary>
    public required Dictionary<string, BackupManifest> Backups { get; init; }
    public required IReadOnlyList<string> SegmentKeys { get; init; }
    /// <summary>Loose entries of backups in <see cref="Backups"/> (or already in a segment): a new segment makes them redundant.</summary>
    public required IReadOnlyList<string> FoldableEntries { get; init; }
    /// <summary>Loose entries without a manifest: a backup in flight, or debris of a writer that died before its manifest.</summary>
    public required IReadOnlyList<string> OrphanEntries { get; init; }
    public required IReadOnlyList<string> Tombstones { get; init; }
}

/// <summary>
/// Reads the catalog without any lock. Rules that make it exact (docs/repository-format.md, "The catalog"):
/// <list type="bullet">
/// <item>a writer stores a backup's loose entry before its manifest, so every manifest has an entry — a loose
/// entry counts only once its manifest exists (one HEAD each; loose entries are few: writers fold them);</item>
/// <item>a segment holds only backups whose manifest existed when it was written, and a manifest is deleted only
/// after a tombstone was written, which stays until no segment lists the backup — a tombstoned backup counts
/// only while its manifest still exists (an interrupted deletion).</item>
/// </list>
/// A file that vanishes while being read (a concurrent fold) restarts the read. Null: the repository has no
/// catalog yet (no segment), so the caller lists the manifests instead.
/// </summary>
internal static class CatalogReader
{
    private const int Attempts = 4;
    private const int Parallelism = 16;

    public static CatalogSnapshot? TryRead(BackupRepository repository, CancellationToken cancel)
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return ReadOnce(repository, cancel); }
            catch (StoreObjectNotFoundException) when (attempt < Attempts) { /* folded or compacted meanwhile: list again */ }
        }
    }

    private static CatalogSnapshot? ReadOnce(BackupRepository repository, CancellationToken cancel)
    {
        var store = repository.Store;
        var keys = store.List(CatalogKeys.Prefix, cancel).ToList();
        var segments = keys.Where(CatalogKeys.IsSegment).Order(StringComparer.Ordinal).ToList();
        if (segments.Count == 0) return null;
        var loose = IdsUnder(keys, CatalogKeys.EntriesPrefix);
        var tombstoned = IdsUnder(keys, CatalogKeys.DeletedPrefix);

        var backups = new Dictionary<string, BackupManifest>(StringComparer.Ordinal);
        foreach (var segment in segments)
            foreach (var backup in CatalogSegment.Read(store, segment, cancel))
                backups.TryAdd(backup.Id, backup);

        var uncertain = loose.Keys.Where(id => !backups.ContainsKey(id)).Concat(tombstoned.Keys).Distinct(StringComparer.Ordinal).ToList();
        var manifestExists = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var entries = new ConcurrentDictionary<string, BackupManifest>(StringComparer.Ordinal);
        Parallel.ForEach(uncertain, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancel }, id =>
        {
            var exists = store.Exists(BackupRepository.ManifestKey(id), cancel);
            manifestExists[id] = exists;
            if (exists && !backups.ContainsKey(id) && loose.ContainsKey(id))
            {
                // Gone meanwhile: folded into a segment this read did not see; the retry lists again.
                BackupManifest? entry;
                try { entry = CatalogEntry.TryRead(store, id, cancel); }
                catch (Errors.BackupIntegrityException) { entry = repository.GetManifest(id, cancel); } // a damaged entry: its manifest says it all
                entries[id] = entry ?? throw new StoreObjectNotFoundException(store.Location, CatalogKeys.Entry(id));
            }
        });
        foreach (var (id, entry) in entries) backups[id] = entry;
        foreach (var id in tombstoned.Keys.Where(id => !manifestExists[id])) backups.Remove(id);

        return new CatalogSnapshot
        {
            Backups = backups,
            SegmentKeys = segments,
            FoldableEntries = loose.Where(e => backups.ContainsKey(e.Key)).Select(e => e.Value).ToList(),
            OrphanEntries = loose.Where(e => !backups.ContainsKey(e.Key)).Select(e => e.Value).ToList(),
            Tombstones = tombstoned.Values.ToList(),
        };
    }

    /// <summary>Backup id → key of the entries (or tombstones) listed under a prefix.</summary>
    public static Dictionary<string, string> IdsUnder(IEnumerable<string> keys, string prefix)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys)
            if (CatalogKeys.IdOf(key, prefix) is { } id) ids[id] = key;
        return ids;
    }
}
