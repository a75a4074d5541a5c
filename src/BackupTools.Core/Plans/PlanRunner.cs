using System.Diagnostics;
using BackupTools.Core.Audit;
using BackupTools.Core.Errors;
using BackupTools.Core.Metrics;
using BackupTools.Core.Operations;
using BackupTools.Core.Replication;
using BackupTools.Core.Repository;
using BackupTools.Core.Retention;
using BackupTools.Core.Status;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Plans;

public sealed record PlanRunRequest(
    BackupPlanDefinition Plan,
    IReadOnlyCollection<string>? Cells,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess,
    bool SkipRetention = false);

public sealed record PlanRunOutcome(IReadOnlyList<PlanSourceResult> Sources, PlanRunSummary Summary);

/// <summary>
/// Invoke-BackupPlan's core: for each cell (by priority) and each of its sources, back up → verify → copy to
/// the cell's targets; then retention per cell on the primary repository and each target, then metrics.
/// A failure stops only that source's remaining steps (a backup that failed is not copied); every other
/// source and cell still runs, and the summary names each failure: cell/source, step, error id, message.
/// It calls the same core operations as the individual cmdlets.
/// </summary>
public sealed class PlanRunner(IOperationObserver observer)
{
    public PlanRunOutcome Run(PlanRunRequest request, CancellationToken cancel)
    {
        var plan = request.Plan;
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        var repositories = PlanRepositories.Of(plan);
        var cells = SelectCells(plan, request.Cells);
        var keys = SecretResolver.KeyRing(plan, observer.Warning);
        var primary = repositories.For(plan.Primary.Repository);
        var results = new List<PlanSourceResult>();
        var failures = new List<string>();
        var deleted = 0;

        foreach (var cell in cells)
        {
            foreach (var source in cell.Sources)
            {
                cancel.ThrowIfCancellationRequested();
                var steps = "back up" + (plan.Verify.Enabled ? ", verify" : "") + string.Concat(cell.Targets.Select(t => $", copy to {t}"));
                if (!request.ShouldProcess($"{cell.Name}/{source.Name}", $"{steps} ({source.Kind} into {primary})")) continue;
                var result = RunSource(plan, repositories, cell, source, primary, keys, request, cancel);
                results.Add(result);
                if (!result.Succeeded) failures.Add($"{cell.Name}/{source.Name} {result.FailedStep}: {result.ErrorId}: {result.Error}");
            }
            if (!request.SkipRetention && (cell.Retention ?? plan.Retention) is { } retention)
                foreach (var repository in new[] { primary }.Concat(cell.Targets.Select(t => repositories.For(plan.Targets[t].Repository))))
                    deleted += Step(() => ApplyRetention(repository, cell, retention, request, cancel), $"{cell.Name} retention on {repository}", failures);
        }

        if (plan.KeyRotationPeriod is { } period)
            Step(() => WarnAboutOverdueKeys(primary, cells, period), "key rotation check", failures);

        string? metrics = null;
        if (plan.MetricsPath is { } path)
            metrics = Step(() => { ExportMetrics(plan, primary, path); return path; }, "metrics", failures);

        if (plan.Alerts.Count > 0)
            foreach (var failed in PlanAlerts.Send(plan, results, failures, observer, cancel).Where(a => !a.Sent))
                failures.Add($"alert {failed.Channel}: {failed.Error}");

        var summary = new PlanRunSummary
        {
            Plan = plan.File,
            StartedAt = started,
            Duration = clock.Elapsed,
            Sources = results.Count,
            Succeeded = results.Count(r => r.Succeeded),
            Failures = failures.ToArray(),
            BackupsDeleted = deleted,
            MetricsPath = metrics,
        };
        return new PlanRunOutcome(results, summary);
    }

    private static IReadOnlyList<PlanCell> SelectCells(BackupPlanDefinition plan, IReadOnlyCollection<string>? names)
    {
        foreach (var name in names ?? [])
            if (!plan.Cells.Any(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)))
                throw new BackupInputException("PlanCellNotFound", "Cell", $"'{name}' is not a cell of {plan.File}.", $"Cells: {string.Join(", ", plan.Cells.Select(c => c.Name))}.");
        return plan.Cells
            .Where(c => names is not { Count: > 0 } || names.Contains(c.Name, StringComparer.OrdinalIgnoreCase))
            .OrderBy(c => c.Priority).ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
    }

    private PlanSourceResult RunSource(BackupPlanDefinition plan, PlanRepositories repositories, PlanCell cell, PlanSource source, RepositoryReference primary,
        Keys.BackupKeyRing? keys, PlanRunRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var step = "backup";
        BackupRecord? record = null;
        bool? verified = null;
        var copied = new List<string>();
        try
        {
            observer.Verbose($"Plan: backing up {cell.Name}/{source.Name} ({source.Kind}).");
            record = PlanSourceBackup.Run(primary, cell, source, keys, request.LockTimeout, observer, cancel);
            if (plan.Verify.Enabled)
            {
                step = "verify";
                using var repository = primary.Open();
                var restoreTest = plan.Verify.RestoreTest ? PlanSourceBackup.RestoreTestTarget(source) : null;
                var check = new IntegrityVerifier(observer).VerifyAndRecord(repository, record.Id, keys, cancel, restoreTest);
                verified = check.Passed;
                if (!check.Passed)
                    throw new BackupIntegrityException("BackupIntegrityCheckFailed", $"Backup {record.Id} failed its check {check.FailedCheck}: {check.Checks.First(c => !c.Passed).Detail}");
            }
            foreach (var target in cell.Targets)
            {
                step = $"copy:{target}";
                new CopyOperation(observer).Run(new CopyRequest(primary, record.Id, repositories.For(plan.Targets[target].Repository), request.LockTimeout, (_, _) => true, keys), cancel);
                copied.Add(target);
            }
            step = "log";
            foreach (var shipped in PlanSourceBackup.ShipLog(primary, cell, source, keys, request.LockTimeout, observer, cancel))
                foreach (var target in cell.Targets)
                    new CopyOperation(observer).Run(new CopyRequest(primary, shipped.Id, repositories.For(plan.Targets[target].Repository), request.LockTimeout, (_, _) => true), cancel);
            return Result(cell, source, null, null, record, verified, copied, clock.Elapsed);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            observer.Warning($"Plan: {cell.Name}/{source.Name} {step} failed: {e.Message}");
            return Result(cell, source, step, e, record, verified, copied, clock.Elapsed);
        }
    }

    private static PlanSourceResult Result(PlanCell cell, PlanSource source, string? failedStep, Exception? error, BackupRecord? record,
        bool? verified, List<string> copied, TimeSpan duration) => new()
    {
        Cell = cell.Name,
        Source = source.Name,
        Kind = source.Kind,
        FailedStep = failedStep,
        ErrorId = error is null ? null : AuditLog.ErrorIdOf(error),
        Error = error?.Message,
        Record = record,
        Verified = verified,
        CopiedTo = copied.ToArray(),
        Duration = duration,
    };

    private int ApplyRetention(RepositoryReference repository, PlanCell cell, PlanRetention r, PlanRunRequest request, CancellationToken cancel)
    {
        var policy = new RetentionPolicy(r.KeepLast, r.KeepHourly, r.KeepDaily, r.KeepWeekly, r.KeepMonthly, r.KeepYearly, r.KeepWithin);
        var outcome = new RetentionOperation(observer).Run(new RetentionRequest(repository, policy, [cell.Name], request.LockTimeout, request.ShouldProcess), cancel);
        if (outcome.Failures.FirstOrDefault() is { } failure) throw failure.Error!;
        return outcome.Decisions.Count(d => d.Deleted);
    }

    /// <summary>The plan's keyRotation: backups of its cells that still need a key older than that are warnings (Update-BackupKey re-wraps them).</summary>
    private int WarnAboutOverdueKeys(RepositoryReference primary, IReadOnlyList<PlanCell> cells, TimeSpan period)
    {
        using var repository = primary.Open();
        var manifests = repository.ListBackups(observer).Where(m => cells.Any(c => string.Equals(c.Name, m.Cell, StringComparison.OrdinalIgnoreCase))).ToList();
        var warnings = new Status.KeyUse(manifests, repository.AllKeyWraps()).OverdueWarnings(manifests, period, DateTimeOffset.UtcNow).ToList();
        foreach (var warning in warnings) observer.Warning($"{repository.Location}: {warning}.");
        return warnings.Count;
    }

    private void ExportMetrics(BackupPlanDefinition plan, RepositoryReference primary, string path)
    {
        var statuses = new List<BackupStatus>();
        var bytes = new Dictionary<string, long>();
        foreach (var cell in plan.Cells)
        {
            // Each cell's RPO is its age limit, so backup_healthy means "within RPO".
            var report = new StatusOperation(observer).Run(new StatusRequest(primary, new StatusPolicy(MaxAge: cell.Rpo), [cell.Name]));
            statuses.AddRange(report.Statuses);
            bytes[report.Repository] = bytes.GetValueOrDefault(report.Repository) + report.RepositoryStoredBytes;
        }
        BackupMetrics.WriteAtomically(path, BackupMetrics.Render(statuses, bytes, DateTimeOffset.UtcNow));
    }

    /// <summary>A plan-level step (retention, metrics): its failure is recorded and the run goes on.</summary>
    private T? Step<T>(Func<T> work, string name, List<string> failures)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            observer.Warning($"Plan: {name} failed: {e.Message}");
            failures.Add($"{name}: {AuditLog.ErrorIdOf(e)}: {e.Message}");
            return default;
        }
    }
}
