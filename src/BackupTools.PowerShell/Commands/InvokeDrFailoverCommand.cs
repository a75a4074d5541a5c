using System.Management.Automation;
using BackupTools.Core.Errors;
using BackupTools.Core.Plans;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>Fails over to a DR site of a plan: pull, restore all cells in priority order, check, mark, switch traffic.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "DrFailover", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(FailoverResult))]
public sealed class InvokeDrFailoverCommand : BackupToolsCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string Plan { get; set; } = "";

    [Parameter(Mandatory = true)]
    public string Site { get; set; } = "";

    /// <summary>Only these cells (default: all, by priority).</summary>
    [Parameter]
    [Alias("Name")]
    public string[]? Cell { get; set; }

    /// <summary>Restore from what the site's repository already holds (the source of the sync is down too).</summary>
    [Parameter]
    public SwitchParameter SkipSync { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; } = 600;

    protected override void EndProcessing()
    {
        try
        {
            var plan = PlanLoader.LoadValid(ResolvePath(Plan));
            var result = RunCore((observer, shouldProcess, cancel) =>
                new DrFailover(observer).Run(new FailoverRequest(plan, Site, Cell, SkipSync, TimeSpan.FromSeconds(LockTimeoutSec), shouldProcess), cancel));
            if (result is null) return;
            WriteObject(result);
            if (!result.Succeeded)
                WriteFailure(new BackupToolsException("DrFailoverFailed", FailureKind.WriteError, $"Failover to {Site} did not complete: {result.StoppedBecause}.",
                    "Cells restored before the failure stay restored (with their safety backups); fix the cause and run again with -Cell for the rest."), Site);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Site);
        }
    }
}
