using BackupTools.Core.Operations;

namespace BackupTools.Core.Repository.Catalog;

/// <summary>Catalog upkeep that callers outside the catalog trigger; it never fails the work that triggered it.</summary>
public static class CatalogMaintenance
{
    /// <summary>Loose entries a writer leaves before folding them into a segment (readers check each one's manifest). Tests and benches lower it.</summary>
    public static int FoldThreshold { get; set; } = 64;
    /// <summary>Segments readers open before a writer merges them into one.</summary>
    public static int MaxSegments { get; set; } = 16;

    /// <summary>After deletions under the exclusive lease: one segment without the deleted backups, tombstones folded.</summary>
    public static void CompactAfterDeletions(BackupRepository repository, IOperationObserver observer)
    {
        try { CatalogCompactor.Compact(repository, observer, exclusive: repository.HeldLock?.IsExclusive == true, CancellationToken.None); }
        catch (Exception e) when (e is Errors.BackupToolsException or IOException or UnauthorizedAccessException)
        {
            observer.Warning($"The backup catalog of {repository.Location} was not compacted ({e.Message}); listings stay correct, the next deletion retries.");
        }
    }
}
