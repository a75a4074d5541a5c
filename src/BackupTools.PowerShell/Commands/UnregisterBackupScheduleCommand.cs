using System.Management.Automation;
using BackupTools.Core.Scheduling;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>Removes a schedule: its crontab block (the rest of the crontab untouched), units (disabled first) or task.</summary>
[Cmdlet(VerbsLifecycle.Unregister, "BackupSchedule", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(BackupSchedule))]
public sealed class UnregisterBackupScheduleCommand : ScheduleCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string[] Name { get; set; } = [];

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public ScheduleTarget? Target { get; set; }

    /// <summary>Emit the removed schedules.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            try
            {
                ScheduleDefinition.ValidateName(name);
                var location = Location(Target ?? DefaultTarget);
                var removed = RunCore((observer, shouldProcess, _) => new ScheduleManager(observer, shouldProcess).Unregister(name, location));
                if (removed != null && PassThru) WriteObject(removed);
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, name);
            }
        }
    }
}
