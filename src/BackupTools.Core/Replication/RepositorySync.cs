using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Replication;

public sealed record SyncRequest(
    RepositoryReference Source,
    RepositoryReference Destination,
    IReadOnlyCollection<string>? Cells,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess,
    bool RepairDamaged = false,
    BackupKeyRing? Keys = null,
    BackupKeyRing? DestinationKeys = null);

/// <summary>A sync's report (one result per backup in scope, oldest first) and the errors behind its failures.</summary>
public sealed record SyncOutcome(IReadOnlyList<SyncResult> Results, IReadOnlyList<(string Id, Exception Error)> Failures);

/// <summary>
/// Sync-BackupRepository's core: brings the destination up to date with the source (or one cell of it).
/// Backups the destination lacks are copied oldest first, so a chain arrives base first; each is complete
/// (manifest last) before the next starts, so an interrupted sync leaves at most one backup's objects
/// without a manifest, and the next run skips what arrived and reuses those objects if they are intact.
/// ShouldProcess is asked before the destination's writer lock is taken, so a prompt never holds it.
/// </summary>
public sealed class RepositorySync(IOperationObserver observer)
{
    public SyncOutcome Run(SyncRequest request, CancellationToken cancel)
    {
        foreach (var cell in request.Cells ?? []) BackupId.ValidateCellName(cell);
        var (source, destination) = ReplicationEndpoints.Open(request.Source, "Source", request.Destination, "Destination");
        using var _ = source;
        using var __ = destination;
        var inScope = source.ListManifests(observer, cancel)
            .Where(m => request.Cells is not { Count: > 0 } || request.Cells.Contains(m.Cell, StringComparer.OrdinalIgnoreCase)).ToList();
        foreach (var cell in (request.Cells ?? []).Where(c => !inScope.Any(m => string.Equals(m.Cell, c, StringComparison.OrdinalIgnoreCase))))
            observer.Warning($"Cell '{cell}' has no backups in {source.Location}.");

        // Backups already there are only compared by size and manifest hashes: re-reading a whole DR copy on
        // every scheduled run would cost as much as copying it. Test-BackupIntegrity there re-reads everything.
        // A failover's pull (RepairDamaged) is about to restore from these copies: it re-reads them and
        // re-fetches a damaged one from the source rather than restoring from it.
        var copier = new BackupCopier(source, destination, observer, "Destination") {
            RehashExisting = request.RepairDamaged, SourceKeys = request.Keys, DestinationKeys = request.DestinationKeys, DestinationKeyParameter = "DestinationKeyFile",
        };
        var repairs = new HashSet<string>(StringComparer.Ordinal);
        var present = destination.ListManifests(observer, cancel).Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        var results = new Dictionary<string, SyncResult>(StringComparer.Ordinal);
        var failures = new List<(string, Exception)>();
        var approved = new List<BackupManifest>();
        var failed = new HashSet<string>(StringComparer.Ordinal);
        void Fail(BackupManifest manifest, Exception e)
        {
            results[manifest.Id] = copier.Failed(manifest, e);
            failures.Add((manifest.Id, e));
            failed.Add(manifest.Id);
        }
        foreach (var manifest in inScope)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                if (manifest.ParentId != null && failed.Contains(manifest.ParentId)) throw ReplicationErrors.ParentFailed(manifest);
                if (present.Contains(manifest.Id) && SkipOrRepair(manifest) is { } skipped)
                {
                    results[manifest.Id] = skipped;
                    continue;
                }
                copier.CheckCopyable(manifest);
                var action = $"Copy {manifest.Kind} backup of '{manifest.Cell}' ({manifest.Objects.Values.Sum(o => o.StoredBytes)} bytes) into {destination.Location}";
                if (request.ShouldProcess(manifest.Id, action)) approved.Add(manifest);
            }
            catch (Exception e) when (e is BackupToolsException or IOException)
            {
                Fail(manifest, e);
            }
        }

        SyncResult? SkipOrRepair(BackupManifest manifest)
        {
            try
            {
                return copier.SkipIfPresent(manifest, cancel);
            }
            catch (BackupIntegrityException e) when (request.RepairDamaged && e.ErrorId == ReplicationErrors.DestinationDamagedId)
            {
                observer.Warning($"Backup {manifest.Id} ({manifest.Cell}) in {destination.Location} is damaged ({e.Message.TrimEnd('.')}); fetching it again from {source.Location}.");
                repairs.Add(manifest.Id);
                return null;
            }
        }

        if (approved.Count > 0)
        {
            using var writerLock = WriterLock.AcquireShared(destination, $"Sync-BackupRepository from {source.Location}", request.LockTimeout, cancel);
            writerLock.Claim(approved.Select(m => m.Id));
            RepositorySweeper.Sweep(destination, observer, resuming: approved.Select(m => m.Id).ToHashSet(StringComparer.Ordinal));
            foreach (var manifest in approved)
            {
                try
                {
                    if (manifest.ParentId != null && failed.Contains(manifest.ParentId)) throw ReplicationErrors.ParentFailed(manifest);
                    results[manifest.Id] = repairs.Contains(manifest.Id) ? copier.RepairLocked(manifest, cancel) : copier.CopyLocked(manifest, cancel);
                }
                catch (Exception e) when (e is BackupToolsException or IOException)
                {
                    Fail(manifest, e); // its dependents then fail with CopyParentFailed: never copy a chain's tail without its base
                }
            }
        }
        return new SyncOutcome(inScope.Where(m => results.ContainsKey(m.Id)).Select(m => results[m.Id]).ToList(), failures);
    }
}
