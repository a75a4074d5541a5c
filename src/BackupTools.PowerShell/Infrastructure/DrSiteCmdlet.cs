using System.Management.Automation;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Plans;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>Invoke-DrFailover / Invoke-DrFailback: a plan, a site, optionally some cells; one FailoverResult out.</summary>
public abstract class DrSiteCmdlet : BackupToolsCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string Plan { get; set; } = "";

    [Parameter(Mandatory = true)]
    public string Site { get; set; } = "";

    /// <summary>Only these cells (default: all, by priority).</summary>
    [Parameter]
    [Alias("Name")]
    [ArgumentCompleter(typeof(CellNameCompleter))]
    public string[]? Cell { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; } = 600;

    protected abstract bool SkipsSync { get; }
    protected abstract string ErrorId { get; }
    protected abstract string Describe(string site);
    protected abstract FailoverResult? Run(IOperationObserver observer, FailoverRequest request, CancellationToken cancel);

    protected override void EndProcessing()
    {
        try
        {
            var plan = PlanLoader.LoadValid(ResolvePath(Plan));
            var result = RunCore((observer, shouldProcess, cancel) =>
                Run(observer, new FailoverRequest(plan, Site, Cell, SkipsSync, TimeSpan.FromSeconds(LockTimeoutSec), shouldProcess), cancel));
            if (result is null) return;
            WriteObject(result);
            if (!result.Succeeded)
                WriteFailure(new BackupToolsException(ErrorId, FailureKind.WriteError, $"{Describe(Site)} did not complete: {result.StoppedBecause}.",
                    "Cells restored before the failure stay restored (with their safety backups); fix the cause and run again with -Cell for the rest."), Site);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Site);
        }
    }
}
