using System.Management.Automation;
using BackupTools.Core.Engines.RabbitMq;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>Imports backed-up definitions after a safety export, then proves them object by object.</summary>
[Cmdlet(VerbsData.Restore, "RabbitMqDefinitions", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RabbitMqRestoreResult))]
public sealed class RestoreRabbitMqDefinitionsCommand : RabbitMqCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string Id { get; set; } = "";

    [Parameter]
    public SwitchParameter SkipSafetyBackup { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var request = new RabbitMqRestoreRequest(ReferenceTo(Repository), Id, BuildTarget(), SkipSafetyBackup, LoadKeys(), TimeSpan.FromSeconds(LockTimeoutSec), (_, _) => true);
            var result = RunCore((observer, shouldProcess, cancel) => new RabbitMqRestoreOperation(observer).Run(request with { ShouldProcess = shouldProcess }, cancel));
            if (result != null) WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Id);
        }
    }
}
