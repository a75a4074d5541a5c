using BackupTools.Core.Errors;

namespace BackupTools.Core.Plans;

/// <summary>
/// The errors a whole-cell restore's report stands for: one per source that failed (naming what was and was not
/// restored) and one per failed restore hook, one per failed health check. Restore-Cell -Plan writes them beside the report.
/// </summary>
public static class CellRestoreFailures
{
    public static IEnumerable<(BackupToolsException Error, string Target)> Of(CellRestoreReport report)
    {
        string Names(Func<CellRestoreItem, bool> which) => string.Join(", ", report.Items.Where(which).Select(i => i.Source).DefaultIfEmpty("none"));
        foreach (var failed in report.Items.Where(i => i.Status == "Failed"))
            yield return (new BackupToolsException("CellRestoreFailed", FailureKind.WriteError,
                $"{report.Cell}/{failed.Source} was not restored ({failed.ErrorId}: {failed.Error}). Restored: {Names(i => i.Status == "Restored")}; not restored: {Names(i => i.Status is "Failed" or "NotRestored")}.",
                "Fix the cause and restore the rest with -Source; sources already restored kept their safety backups."), failed.Source);
        foreach (var item in report.Items)
            if (item.Outcome is { } outcome && Operations.RestoreHookRunner.FailureOf(outcome) is { } hookFailed)
                yield return (hookFailed, item.Source);
        foreach (var check in report.HealthChecks.Where(h => !h.Passed))
            yield return (new BackupToolsException("HealthCheckFailed", FailureKind.InvalidData, $"{report.Cell}: health check '{check.Name}' failed after the restore: {check.Detail}.",
                "The data is restored; look at the service before sending traffic to it."), check.Name);
    }
}
