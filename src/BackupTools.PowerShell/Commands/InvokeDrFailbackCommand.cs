using System.Management.Automation;
using BackupTools.Core.Operations;
using BackupTools.Core.Plans;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>Returns from a DR site to the primary: back up the site, copy to the primary repository, restore there, check, switch back.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "DrFailback", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(FailoverResult))]
public sealed class InvokeDrFailbackCommand : DrSiteCmdlet
{
    protected override bool SkipsSync => true; // failback copies the site's fresh backups itself
    protected override string ErrorId => "DrFailbackFailed";
    protected override string Describe(string site) => $"Failback from {site}";
    protected override FailoverResult? Run(IOperationObserver observer, FailoverRequest request, CancellationToken cancel) =>
        new DrFailback(observer).Run(request, cancel);
}
