using System.Management.Automation;
using BackupTools.Core.Errors;
using BackupTools.Core.Plans;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>Returns from a DR site to the primary: back up the site, copy to the primary repository, restore there, check, switch back.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "DrFailback", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(FailoverResult))]
public sealed class InvokeDrFailbackCommand : BackupToolsCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string Plan { get; set; } = "";

    [Parameter(Mandatory = true)]
    public string Site { get; set; } = "";

    /// <summary>Only these cells (default: all, by priority).</summary>
    [Parameter]
    [Alias("Name")]
    public string[]? Cell { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; } = 600;

    protected override void EndProcessing()
    {
        try
        {
            var plan = PlanLoader.LoadValid(ResolvePath(Plan));
            var result = RunCore((observer, shouldProcess, cancel) =>
                new DrFailback(observer).Run(new FailoverRequest(plan, Site, Cell, true, TimeSpan.FromSeconds(LockTimeoutSec), shouldProcess), cancel));
            if (result is null) return;
            WriteObject(result);
            if (!result.Succeeded)
                WriteFailure(new BackupToolsException("DrFailbackFailed", FailureKind.WriteError, $"Failback from {Site} did not complete: {result.StoppedBecause}.",
                    "Cells restored before the failure stay restored (with their safety backups); fix the cause and run again with -Cell for the rest."), Site);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Site);
        }
    }
}
