using BackupTools.Core.Audit;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines;

/// <summary>
/// What a restore is about to replace: <paramref name="What"/> names it in messages ("database 'crm'", "/srv/app"),
/// <paramref name="Operation"/> is the cmdlet (the writer lock's holder). Replacing false: nothing there, so no
/// safety backup is needed (nor skipped).
/// </summary>
public sealed record SafetyBackupTarget(string Operation, string What, bool Replacing, bool Skip, TimeSpan LockTimeout);

/// <summary>
/// The one way every restore takes its safety backup (the backup of the data it is about to replace): a verbose
/// line, the repository's writer lock, the engine's own backup tagged <see cref="SafetyBackup.Tags"/>, its id
/// back; -SkipSafetyBackup is one warning. The audit note and the result's SafetyBackupId/SafetyBackupSkipped
/// come from the same answer, so every engine reports it alike.
/// </summary>
public static class SafetyBackupStep
{
    /// <summary>The safety backup's id; null when nothing is replaced or it was skipped (then warned).</summary>
    /// <param name="backup">The engine's backup of the live data, run under the writer lock this step holds, with these tags; returns the backup's id.</param>
    public static string? Take(IOperationObserver observer, BackupRepository repository, string restoringId, SafetyBackupTarget target,
        Func<IReadOnlyDictionary<string, string>, string> backup, CancellationToken cancel)
    {
        if (!target.Replacing) return null;
        if (target.Skip)
        {
            observer.Warning($"-SkipSafetyBackup: {target.What} will be replaced without a safety backup.");
            return null;
        }
        observer.Verbose($"Taking a safety backup of {target.What} before replacing it.");
        using var writerLock = WriterLock.AcquireShared(repository, $"{target.Operation} safety backup", target.LockTimeout, cancel);
        return backup(SafetyBackup.Tags(restoringId));
    }

    /// <summary>The audit entry of a restore: the backup restored and the safety backup, with the engine's summary.</summary>
    public static AuditOutcome? Audit<T>(T? result, Func<T, string> summary) where T : RestoreOutcome =>
        result is null ? null : new AuditOutcome(result.SafetyBackupId is { } safety ? [result.RestoredId, safety] : [result.RestoredId],
            summary(result) + (result.SafetyBackupId is { } s ? $"; safety backup {s}" : result.SafetyBackupSkipped ? "; safety backup skipped" : ""));
}
