using System.Diagnostics;
using BackupTools.Core.Audit;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Replication;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Plans;

/// <summary>
/// Invoke-DrFailback's core: the DR site took the writes while it served, so its data is what goes back.
/// For each cell (priority order): back up every source at the site's endpoints into the site's repository,
/// copy those backups to the primary repository, and restore the cell at the primary with the same care as any
/// restore (safety backups, staging, health checks). Only when every cell is back and healthy: remove the
/// failover marker, audit, and run the failback switch.
/// </summary>
public sealed class DrFailback(IOperationObserver observer)
{
    public FailoverResult? Run(FailoverRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        var plan = request.Plan;
        var site = DrFailover.Site(plan, request.Site);
        var cells = DrFailover.Cells(plan, request.Cells);
        var repositories = PlanRepositories.Of(plan);
        var siteReference = repositories.For(site.Repository);
        var primary = repositories.For(plan.Primary.Repository);
        using var siteRepository = siteReference.Open();
        if (!siteRepository.Store.Exists(DrFailover.MarkerKey))
            observer.Warning($"Site {site.Name} has no failover marker: it may not be serving. Failing back copies its current data to the primary anyway.");
        var description = $"Fail back from {site.Name}: back up " + string.Join(", ", cells.Select(c => c.Name)) + $" at {site.Name}, copy to {plan.Primary.Repository}, restore at the primary"
            + (site.FailbackSwitch is null ? "" : $", then {site.FailbackSwitch}");
        if (!request.ShouldProcess($"site {site.Name}", description)) return null;

        var keys = SecretResolver.KeyRing(plan, observer.Warning);
        var results = new List<FailoverCellResult>();
        string? stopped = null;
        foreach (var cell in cells)
        {
            string? error = null;
            CellRestoreReport? report = null;
            try
            {
                foreach (var source in cell.Sources)
                {
                    var atSite = PlanCellRestorer.Effective(source, site, cell);
                    var record = PlanSourceBackup.Run(siteReference, cell, atSite, keys, request.LockTimeout, observer, cancel);
                    new CopyOperation(observer).Run(new CopyRequest(siteReference, record.Id, primary, request.LockTimeout, (_, _) => true, keys), cancel);
                }
                report = new PlanCellRestorer(observer).Run(new PlanCellRestoreRequest(plan, cell.Name, null, null, null, Force: true,
                    SkipSafetyBackup: false, request.LockTimeout, (_, _) => true), cancel);
            }
            catch (BackupToolsException e)
            {
                error = $"{e.ErrorId}: {e.Message}";
            }
            var result = new FailoverCellResult
            {
                Cell = cell.Name, Report = report, DataAge = report?.DataAge, Elapsed = clock.Elapsed, RpoTarget = cell.Rpo, RtoTarget = cell.Rto,
                Error = error ?? (report is { Succeeded: false } ? "the restore at the primary did not come back healthy" : null),
            };
            results.Add(result);
            if (!result.Succeeded)
            {
                stopped = $"cell {cell.Name} failed: {result.Error}";
                break;
            }
        }

        int? switchExit = null;
        string? switchOutput = null;
        if (stopped is null)
        {
            if (siteRepository.Store.Exists(DrFailover.MarkerKey)) siteRepository.Store.Delete(DrFailover.MarkerKey);
            if (site.FailbackSwitch is { } command)
            {
                var run = ShellCommand.Run(command, TimeSpan.FromMinutes(10), cancel, new Dictionary<string, string> { ["BACKUPTOOLS_SITE"] = site.Name, ["BACKUPTOOLS_DIRECTION"] = "failback" });
                (switchExit, switchOutput) = (run.TimedOut ? -1 : run.ExitCode, run.Output);
                if (switchExit != 0) stopped = $"the failback switch '{command}' failed (exit {switchExit}); the primary has the data but traffic did not move";
            }
        }
        var outcome = new FailoverResult
        {
            Direction = "failback", Site = site.Name, StartedAt = started, Cells = results.ToArray(),
            SwitchExitCode = switchExit, SwitchOutput = switchOutput, Duration = clock.Elapsed, StoppedBecause = stopped,
        };
        using var primaryRepository = primary.Open();
        AuditLog.Append(primaryRepository,
            new AuditSubject("failback", string.Join(",", results.Select(c => c.Cell)), null, site.Name),
            outcome.Succeeded ? AuditResults.Succeeded : AuditResults.Failed, results.SelectMany(r => r.Report?.Items.Select(i => i.BackupId) ?? []).OfType<string>(),
            outcome.Succeeded ? $"primary active again, took {outcome.Duration}" : stopped, null, observer);
        return outcome;
    }
}
