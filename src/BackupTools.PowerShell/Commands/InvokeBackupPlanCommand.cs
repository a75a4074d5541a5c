using System.Management.Automation;
using BackupTools.Core.Errors;
using BackupTools.Core.Plans;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Runs a backup.yml: every source of every cell (or of -Cell) is backed up, verified and copied to the cell's
/// targets; then retention and metrics. Emits a PlanSourceResult per source and a PlanRunSummary last; each
/// failure is also a non-terminating BackupPlanStepFailed error, so the runner exits 1 when anything failed.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "BackupPlan", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PlanSourceResult), typeof(PlanRunSummary))]
public sealed class InvokeBackupPlanCommand : BackupToolsCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("Plan")]
    public string Path { get; set; } = "";

    [Parameter]
    [Alias("Name")]
    [ArgumentCompleter(typeof(CellNameCompleter))]
    public string[]? Cell { get; set; }

    /// <summary>Back up, verify and copy only; leave pruning to another job.</summary>
    [Parameter]
    public SwitchParameter SkipRetention { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; } = 600;

    protected override void EndProcessing()
    {
        try
        {
            var plan = PlanLoader.LoadValid(ResolvePath(Path));
            var outcome = RunCore((observer, shouldProcess, cancel) =>
                new PlanRunner(observer).Run(new PlanRunRequest(plan, Cell, TimeSpan.FromSeconds(LockTimeoutSec), shouldProcess, SkipRetention), cancel));
            WriteObject(outcome.Sources, enumerateCollection: true);
            WriteObject(outcome.Summary);
            foreach (var failure in outcome.Summary.Failures)
                WriteFailure(new BackupToolsException("BackupPlanStepFailed", FailureKind.WriteError, failure,
                    "The other sources ran; fix this one and run Invoke-BackupPlan -Cell <cell> again."), failure.Split(' ')[0]);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Path);
        }
    }
}
