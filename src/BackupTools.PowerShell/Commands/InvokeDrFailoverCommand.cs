using System.Management.Automation;
using BackupTools.Core.Operations;
using BackupTools.Core.Plans;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>Fails over to a DR site of a plan: pull, restore all cells in priority order, check, mark, switch traffic.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "DrFailover", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(FailoverResult))]
public sealed class InvokeDrFailoverCommand : DrSiteCmdlet
{
    /// <summary>Restore from what the site's repository already holds (the source of the sync is down too).</summary>
    [Parameter]
    public SwitchParameter SkipSync { get; set; }

    protected override bool SkipsSync => SkipSync;
    protected override string ErrorId => "DrFailoverFailed";
    protected override string Describe(string site) => $"Failover to {site}";
    protected override FailoverResult? Run(IOperationObserver observer, FailoverRequest request, CancellationToken cancel) =>
        new DrFailover(observer).Run(request, cancel);
}
