using BackupTools.Core.Operations;

namespace BackupTools.Core.Repository.Catalog;

/// <summary>Catalog upkeep that callers outside the catalog trigger; it never fails the work that triggered it.</summary>
public static class CatalogMaintenance
{
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
