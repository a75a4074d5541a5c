using System.Diagnostics;
using System.Text.Json;
using BackupTools.Core.Audit;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Replication;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Plans;

public sealed record FailoverRequest(
    BackupPlanDefinition Plan,
    string Site,
    IReadOnlyCollection<string>? Cells,
    bool SkipSync,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess);

/// <summary>
/// Invoke-DrFailover's core. Pull: sync the site's repository from its syncFrom target. Restore: every cell in
/// priority order into the site's endpoints (each cell databases, caches, files; hooks; health checks). Then the
/// failover marker (failover/active.json in the site repository) and an audit entry, and only when every cell
/// came back healthy, the traffic-switch hook. Reports achieved RPO (age of the data restored) and RTO (elapsed)
/// per cell against the plan's targets. The first cell that fails stops the failover before the next one and
/// before traffic moves.
/// </summary>
public sealed class DrFailover(IOperationObserver observer)
{
    public const string MarkerKey = "failover/active.json";

    public FailoverResult? Run(FailoverRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        var plan = request.Plan;
        var site = Site(plan, request.Site);
        var cells = Cells(plan, request.Cells);
        var repositories = PlanRepositories.Of(plan);
        var syncFrom = request.SkipSync || site.SyncFrom is null ? null : plan.Targets[site.SyncFrom].Repository;
        var sequence = (syncFrom is null ? "" : $"sync {syncFrom} → {site.Repository}; ")
            + "restore " + string.Join(", ", cells.Select(c => $"{c.Name} ({string.Join(" → ", PlanCellRestorer.RestoreOrder(c).Select(s => s.Name))})"))
            + "; health checks; failover marker" + (site.TrafficSwitch is null ? "" : $"; traffic switch: {site.TrafficSwitch}");
        if (!request.ShouldProcess($"site {site.Name}", $"Fail over to {site.Name}: {sequence}")) return null;

        var synced = 0;
        if (syncFrom != null)
        {
            observer.Verbose($"Failover: pulling {syncFrom} into {site.Repository}.");
            var sync = new RepositorySync(observer).Run(new SyncRequest(repositories.For(syncFrom), repositories.For(site.Repository), cells.Select(c => c.Name).ToList(), request.LockTimeout, (_, _) => true, RepairDamaged: true, Keys: SecretResolver.KeyRing(plan, observer.Warning)), cancel);
            synced = sync.Results.Count(r => r.Action is SyncAction.Copied or SyncAction.Repaired);
            foreach (var (id, error) in sync.Failures) observer.Warning($"Failover: {id} could not be pulled ({error.Message}); restoring from what the site has.");
        }

        var results = new List<FailoverCellResult>();
        string? stopped = null;
        foreach (var cell in cells)
        {
            cancel.ThrowIfCancellationRequested();
            CellRestoreReport? report = null;
            string? error = null;
            try
            {
                report = new PlanCellRestorer(observer).Run(new PlanCellRestoreRequest(plan, cell.Name, null, null, site.Name, Force: true,
                    SkipSafetyBackup: false, request.LockTimeout, (_, _) => true), cancel);
            }
            catch (BackupToolsException e)
            {
                error = $"{e.ErrorId}: {e.Message}";
            }
            var result = new FailoverCellResult
            {
                Cell = cell.Name, Report = report, DataAge = report?.DataAge, Elapsed = clock.Elapsed,
                RpoTarget = cell.Rpo, RtoTarget = cell.Rto,
                Error = error ?? (report is { Succeeded: false } ? Describe(report) : null),
            };
            results.Add(result);
            if (result.RpoMet == false) observer.Warning($"Failover: {cell.Name}'s data is {result.DataAge} old, over its RPO of {cell.Rpo}.");
            if (!result.Succeeded)
            {
                stopped = $"cell {cell.Name} failed: {result.Error}";
                break;
            }
        }

        var ids = results.SelectMany(r => r.Report?.Items.Select(i => i.BackupId) ?? []).OfType<string>().ToArray();
        using var repository = repositories.For(site.Repository).Open();
        int? switchExit = null;
        string? switchOutput = null;
        if (stopped is null && site.TrafficSwitch is { } command)
        {
            // Marker and audit entry first: a runner killed while the switch runs (it may take minutes) must leave a
            // record saying traffic may be moving to this site, not moved traffic with no trace.
            WriteMarker(repository, site, ids, results, FailoverMarkerStates.Switching);
            AuditLog.Append(repository, Subject(site, results), AuditResults.Switching, ids, $"site {site.Name}: data restored, running the traffic switch", null, observer);
            var run = ShellCommand.Run(command, TimeSpan.FromMinutes(10), cancel, new Dictionary<string, string> { ["BACKUPTOOLS_SITE"] = site.Name, ["BACKUPTOOLS_DIRECTION"] = "failover" });
            (switchExit, switchOutput) = (run.TimedOut ? -1 : run.ExitCode, run.Output);
            if (switchExit != 0) stopped = $"the traffic switch '{command}' failed (exit {switchExit}); the data is restored at {site.Name} but traffic did not move";
        }

        var outcome = new FailoverResult
        {
            Direction = "failover", Site = site.Name, StartedAt = started, BackupsSynced = synced, Cells = results.ToArray(),
            SwitchExitCode = switchExit, SwitchOutput = switchOutput, Duration = clock.Elapsed, StoppedBecause = stopped,
        };
        Record(repository, site, outcome, ids);
        return outcome;
    }

    private static string Describe(CellRestoreReport report) =>
        string.Join("; ", report.Items.Where(i => i.Status != "Restored").Select(i => $"{i.Source} {i.Status}{(i.BackupId is null ? "" : $" (backup {i.BackupId})")}{(i.Error is null ? "" : ": " + i.Error.TrimEnd('.'))}")
            .Concat(report.HealthChecks.Where(h => !h.Passed).Select(h => $"health check {h.Name}: {h.Detail}")));

    /// <summary>The marker says which site serves, since when and from which backups; the audit log keeps the history.
    /// A failed switch leaves the marker saying so (traffic may be partly moved); a failed restore writes none.</summary>
    private void Record(BackupRepository repository, PlanSite site, FailoverResult outcome, string[] ids)
    {
        if (outcome.Succeeded) WriteMarker(repository, site, ids, outcome.Cells, FailoverMarkerStates.Active);
        else if (outcome.SwitchExitCode is not null) WriteMarker(repository, site, ids, outcome.Cells, FailoverMarkerStates.SwitchFailed);
        AuditLog.Append(repository, Subject(site, outcome.Cells), outcome.Succeeded ? AuditResults.Succeeded : AuditResults.Failed, ids,
            outcome.Succeeded ? $"site {site.Name} active; worst data age {outcome.WorstDataAge}, took {outcome.Duration}" : outcome.StoppedBecause, null, observer);
    }

    private static AuditSubject Subject(PlanSite site, IEnumerable<FailoverCellResult> cells) =>
        new("failover", string.Join(",", cells.Select(c => c.Cell)), null, site.Name);

    private static void WriteMarker(BackupRepository repository, PlanSite site, string[] ids, IEnumerable<FailoverCellResult> cells, string state)
    {
        var marker = JsonSerializer.SerializeToUtf8Bytes(new
        {
            site = site.Name, state, activeSince = DateTimeOffset.UtcNow, user = Environment.UserName, host = Environment.MachineName,
            backups = ids, cells = cells.Select(c => c.Cell).ToArray(),
        }, RepositoryJson.Options);
        repository.Store.Replace(MarkerKey, marker);
    }

    public static PlanSite Site(BackupPlanDefinition plan, string name) => plan.Sites.TryGetValue(name, out var site) ? site
        : throw new BackupInputException("PlanSiteNotFound", "Site", $"'{name}' is not a site of {plan.File}.", $"Sites: {(plan.Sites.Count == 0 ? "none — add a sites: section" : string.Join(", ", plan.Sites.Keys))}.");

    public static IReadOnlyList<PlanCell> Cells(BackupPlanDefinition plan, IReadOnlyCollection<string>? names)
    {
        foreach (var name in names ?? [])
            if (!plan.Cells.Any(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)))
                throw new BackupInputException("PlanCellNotFound", "Cell", $"'{name}' is not a cell of {plan.File}.", $"Cells: {string.Join(", ", plan.Cells.Select(c => c.Name))}.");
        return plan.Cells.Where(c => names is not { Count: > 0 } || names.Contains(c.Name, StringComparer.OrdinalIgnoreCase))
            .OrderBy(c => c.Priority).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
    }
}
