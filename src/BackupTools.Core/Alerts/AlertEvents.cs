namespace BackupTools.Core.Alerts;

/// <summary>Builds AlertEvents from what the BackupTools cmdlets emit.</summary>
public static class AlertEvents
{
    public static AlertEvent FromRecord(BackupRecord record) => new()
    {
        Outcome = AlertOutcome.Succeeded,
        Kind = "backup",
        Step = "backup " + record.Engine,
        Source = record.Source,
        Cell = record.Cell,
        BackupId = record.Id,
        Summary = $"{record.Kind} backup {record.Id} of {record.Cell} ({record.Engine} {record.Source}): {record.StoredBytes:N0} bytes stored in {record.Duration.TotalSeconds:0.#} s",
        Time = record.CompletedAt,
    };

    public static AlertEvent FromIntegrity(IntegrityResult result)
    {
        var failed = result.Checks.FirstOrDefault(c => !c.Passed);
        return new AlertEvent
        {
            Outcome = result.Passed ? AlertOutcome.Succeeded : AlertOutcome.Failed,
            Kind = "integrity",
            Step = "Test-BackupIntegrity",
            Source = result.Record?.Source ?? result.Id,
            Cell = result.Record?.Cell,
            BackupId = result.Id,
            ErrorId = failed is null ? null : "BackupIntegrityCheckFailed",
            Error = failed is null ? null : $"check '{failed.Name}' failed: {failed.Detail}",
            Summary = failed is null
                ? $"backup {result.Id} verified ({result.Checks.Count} checks passed{(result.RestoreDuration is { } rto ? $", test restore {rto.TotalSeconds:0.#} s" : "")})"
                : $"backup {result.Id} FAILED verification at check '{failed.Name}'",
        };
    }

    /// <summary>Any engine's Restore-* result (they share RestoreOutcome): a failed restore hook makes it a warning.</summary>
    public static AlertEvent FromRestore(RestoreOutcome result) => new()
    {
        Outcome = result.HookSucceeded == false ? AlertOutcome.Warning : AlertOutcome.Succeeded,
        Kind = "restore",
        Step = "restore " + result.Engine,
        Source = result.Destination,
        Cell = result.Cell,
        BackupId = result.RestoredId,
        ErrorId = result.HookSucceeded == false ? "RestoreHookFailed" : null,
        Error = result.HookSucceeded == false ? result.HookOutput : null,
        Summary = $"restored {result.RestoredId} ({result.RestoredPointInTime:u}) of {result.Cell} into {result.Destination} in {result.Duration.TotalSeconds:0.#} s" +
            (result.SafetyBackupId is { } safety ? $"; safety backup {safety}" : result.SafetyBackupSkipped ? "; safety backup skipped" : ""),
    };

    /// <summary>Restore-Cell -Plan's report: failed when a source failed or a hook or health check did not pass.</summary>
    public static AlertEvent FromCellRestore(CellRestoreReport report)
    {
        var failed = report.Items.FirstOrDefault(i => i.Status == "Failed");
        return new AlertEvent
        {
            Outcome = report.Succeeded ? AlertOutcome.Succeeded : AlertOutcome.Failed,
            Kind = "restore",
            Step = "Restore-Cell -Plan",
            Cell = report.Cell,
            ErrorId = failed?.ErrorId ?? (report.Items.Any(i => i.Outcome?.HookSucceeded == false) ? "RestoreHookFailed"
                : report.HealthChecks.Any(h => !h.Passed) ? "HealthCheckFailed" : null),
            Error = failed is { } f ? $"{f.Source}: {f.Error}" : null,
            Summary = $"cell {report.Cell}: " + string.Join(", ", report.Items.Select(i => $"{i.Source} {i.Status}")) +
                (report.HealthChecks.Length > 0 ? $"; health checks {report.HealthChecks.Count(h => h.Passed)}/{report.HealthChecks.Length} passed" : ""),
        };
    }

    public static AlertEvent FromStatus(StatusSnapshot status)
    {
        var label = string.Join(" ", new[] { status.Cell, status.Engine, status.Source }.Where(s => !string.IsNullOrEmpty(s)));
        var outcome = !status.Healthy ? AlertOutcome.Failed : status.Warnings.Count > 0 ? AlertOutcome.Warning : AlertOutcome.Succeeded;
        var last = status.LastSuccess is { } at ? $"last success {at:u}" : "no successful backup";
        return new AlertEvent
        {
            Outcome = outcome,
            Kind = "status",
            Step = "Get-BackupStatus",
            Source = status.Source,
            Cell = status.Cell,
            ErrorId = status.Healthy ? null : "BackupStatusUnhealthy",
            Error = status.Warnings.Count > 0 ? string.Join("; ", status.Warnings) : null,
            Summary = $"{label}: {(status.Healthy ? "healthy" : "UNHEALTHY")}, {last}",
        };
    }

    public static AlertEvent FromError(ErrorSnapshot error) => new()
    {
        Outcome = AlertOutcome.Failed,
        Kind = "error",
        Step = error.Step,
        Source = error.Source,
        ErrorId = error.ErrorId,
        Error = error.Message,
        RecommendedAction = error.RecommendedAction,
        Summary = $"{error.Step ?? "step"} failed{(error.Source is null ? "" : " for " + error.Source)}: {error.ErrorId}",
    };

    /// <summary>
    /// With `2>&amp;1` a failure can arrive twice: Test-BackupIntegrity emits a failed result and an error for the same
    /// backup, Get-BackupStatus an unhealthy status and an error about it (read as the same status event). Keep one.
    /// </summary>
    public static IReadOnlyList<AlertEvent> Deduplicate(IEnumerable<AlertEvent> events)
    {
        var list = events.ToList();
        var failedIds = list.Where(e => e.Kind == "integrity" && e.IsFailure).Select(e => e.BackupId).ToHashSet();
        var statuses = new HashSet<(string?, string?, string, string?)>();
        return list.Where(e => !(e.Kind == "error" && e.ErrorId == "BackupIntegrityCheckFailed" && failedIds.Contains(e.Source)))
            .Where(e => e.Kind != "status" || statuses.Add((e.Cell, e.Source, e.Summary, e.Error)))
            .ToList();
    }
}
