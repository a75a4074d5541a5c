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
/// Receives the backups a catalog read finds, each once: the reader decides which count (<c>admit</c>), the
/// collector what it keeps of them — whole manifests for compaction, or only the listing's matches (CatalogListing).
/// </summary>
internal interface ICatalogCollector
{
    /// <summary>One entry line of a segment; <paramref name="admit"/>(id) says whether it counts (false: a duplicate or a deleted backup).</summary>
    void AddLine(ReadOnlySpan<byte> line, string where, Func<string, bool> admit);

    /// <summary>A backup known from its loose entry (or, when that entry is damaged, its manifest): it counts.</summary>
    void AddManifest(BackupManifest manifest);
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
/// Entries stream from the segments into a collector, so a listing never holds more than it keeps. A file that
/// vanishes while being read (a concurrent fold) restarts the read with a fresh collector. Null: the repository
/// has no catalog yet (no segment), so the caller lists the manifests instead.
/// </summary>
internal static class CatalogReader
{
    private const int Attempts = 4;
    private const int Parallelism = 16;

    /// <summary>Every backup as its catalog summary, with the files the view came from (for compaction).</summary>
    public static CatalogSnapshot? TryRead(BackupRepository repository, CancellationToken cancel)
    {
        var read = TryRead(repository, () => new ManifestCollector(), cancel);
        if (read is not var (collector, files)) return null;
        var backups = collector.Backups;
        return new CatalogSnapshot
        {
            Backups = backups,
            SegmentKeys = files.Segments,
            FoldableEntries = files.Loose.Where(e => backups.ContainsKey(e.Key)).Select(e => e.Value).ToList(),
            OrphanEntries = files.Loose.Where(e => !backups.ContainsKey(e.Key)).Select(e => e.Value).ToList(),
            Tombstones = files.Tombstoned.Values.ToList(),
        };
    }

    /// <summary>Feeds every backup the catalog lists, once, into a new collector; null without a catalog.</summary>
    public static (T Collector, CatalogFiles Files)? TryRead<T>(BackupRepository repository, Func<T> newCollector, CancellationToken cancel) where T : ICatalogCollector
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return ReadOnce(repository, newCollector(), cancel); }
            catch (StoreObjectNotFoundException) when (attempt < Attempts) { /* folded or compacted meanwhile: list again */ }
        }
    }

    private static (T, CatalogFiles)? ReadOnce<T>(BackupRepository repository, T collector, CancellationToken cancel) where T : ICatalogCollector
    {
        var store = repository.Store;
        var keys = store.List(CatalogKeys.Prefix, cancel).ToList();
        var segments = keys.Where(CatalogKeys.IsSegment).Order(StringComparer.Ordinal).ToList();
        if (segments.Count == 0) return null;
        var files = new CatalogFiles(segments, IdsUnder(keys, CatalogKeys.EntriesPrefix), IdsUnder(keys, CatalogKeys.DeletedPrefix));

        // Deleted backups are known before the segments are read, so no entry of theirs is ever kept.
        var gone = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        Parallel.ForEach(files.Tombstoned.Keys, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancel }, id =>
        {
            if (!store.Exists(BackupRepository.ManifestKey(id), cancel)) gone[id] = true;
        });
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Func<string, bool> admit = id => !gone.ContainsKey(id) && seen.Add(id);
        CatalogSegment.EntryLine entry = (line, where) => collector.AddLine(line, where, admit);
        foreach (var segment in segments) CatalogSegment.ReadLines(store, segment, entry, cancel);

        var unseen = files.Loose.Keys.Where(id => !seen.Contains(id) && !gone.ContainsKey(id)).ToList();
        var entries = new ConcurrentDictionary<string, BackupManifest>(StringComparer.Ordinal);
        Parallel.ForEach(unseen, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancel }, id =>
        {
            if (!store.Exists(BackupRepository.ManifestKey(id), cancel)) return; // in flight, or debris
            // Gone meanwhile: folded into a segment this read did not see; the retry lists again.
            BackupManifest? entry;
            try { entry = CatalogEntry.TryRead(store, id, cancel); }
            catch (Errors.BackupIntegrityException) { entry = repository.GetManifest(id, cancel); } // a damaged entry: its manifest says it all
            entries[id] = entry ?? throw new StoreObjectNotFoundException(store.Location, CatalogKeys.Entry(id));
        });
        foreach (var id in unseen.Where(entries.ContainsKey)) collector.AddManifest(entries[id]);
        return (collector, files);
    }

    /// <summary>Backup id → key of the entries (or tombstones) listed under a prefix.</summary>
    public static Dictionary<string, string> IdsUnder(IEnumerable<string> keys, string prefix)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys)
            if (CatalogKeys.IdOf(key, prefix) is { } id) ids[id] = key;
        return ids;
    }

    /// <summary>Keeps every backup's whole catalog summary (compaction, retention, status).</summary>
    private sealed class ManifestCollector : ICatalogCollector
    {
        public Dictionary<string, BackupManifest> Backups { get; } = new(StringComparer.Ordinal);

        public void AddLine(ReadOnlySpan<byte> line, string where, Func<string, bool> admit)
        {
            var manifest = CatalogEntry.Parse(line, where);
            if (admit(manifest.Id)) Backups[manifest.Id] = manifest;
        }

        public void AddManifest(BackupManifest manifest) => Backups[manifest.Id] = manifest;
    }
}

/// <summary>The catalog files a read saw: segments (in name order), loose entries and tombstones by backup id.</summary>
internal sealed record CatalogFiles(IReadOnlyList<string> Segments, Dictionary<string, string> Loose, Dictionary<string, string> Tombstoned);
