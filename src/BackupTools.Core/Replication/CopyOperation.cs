using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Replication;

public sealed record CopyRequest(
    RepositoryReference Source,
    string Id,
    RepositoryReference Target,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess,
    BackupKeyRing? Keys = null,
    BackupKeyRing? TargetKeys = null);

/// <summary>
/// Copy-Backup's core: copies one backup, and the parents it builds on that the target lacks (oldest
/// first), into the target repository under the target's writer lock. Returns the backup as it now exists
/// in the target, or null when ShouldProcess declined.
/// </summary>
public sealed class CopyOperation(IOperationObserver observer)
{
    public const string TargetParameter = "Target";

    public BackupRecord? Run(CopyRequest request, CancellationToken cancel)
    {
        BackupId.Validate(request.Id);
        var (source, target) = ReplicationEndpoints.Open(request.Source, "Repository", request.Target, TargetParameter);
        using var _ = source;
        using var __ = target;
        var manifest = source.GetManifest(request.Id, cancel);
        var copier = new BackupCopier(source, target, observer, TargetParameter) { SourceKeys = request.Keys, DestinationKeys = request.TargetKeys };
        var chain = copier.ChainToCopy(manifest, cancel);
        foreach (var m in chain) copier.CheckCopyable(m);
        var action = $"Copy {manifest.Kind} backup of '{manifest.Cell}' from {manifest.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z"
            + (chain.Count > 1 ? $" with the {chain.Count - 1} backup(s) it builds on" : "") + $" into {target.Location}";
        if (!request.ShouldProcess(request.Id, action)) return null;

        using (var writerLock = WriterLock.AcquireShared(target, $"Copy-Backup {request.Id}", request.LockTimeout, cancel))
        {
            writerLock.Claim(chain.Select(m => m.Id));
            RepositorySweeper.Sweep(target, observer, resuming: chain.Select(m => m.Id).ToHashSet(StringComparer.Ordinal));
            foreach (var m in chain)
            {
                var result = copier.CopyLocked(m, cancel);
                if (m.Id != manifest.Id && result.Action == SyncAction.Copied)
                    observer.Verbose($"Copied {m.Id} first: {manifest.Id} builds on it.");
            }
        }
        return target.ToRecord(target.GetManifest(request.Id, cancel));
    }
}
