using System.Management.Automation;
using BackupTools.Core.Scheduling;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Installs a job as a crontab block, a systemd service+timer pair or a Task Scheduler definition.
/// -WhatIf shows the exact text that would be written.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "BackupSchedule", SupportsShouldProcess = true, DefaultParameterSetName = "Script")]
[OutputType(typeof(BackupSchedule))]
public sealed class RegisterBackupScheduleCommand : ScheduleCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string Name { get; set; } = "";

    /// <summary>A .ps1 file to run.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Script")]
    public string? Script { get; set; }

    /// <summary>PowerShell text to run (one line).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Command")]
    public string? Command { get; set; }

    [Parameter] public string? Cron { get; set; }

    /// <summary>Daily at this time of day (02:30), or weekly with -DayOfWeek.</summary>
    [Parameter] public TimeSpan? At { get; set; }

    [Parameter] public DayOfWeek[]? DayOfWeek { get; set; }

    [Parameter] public SchedulePreset? Preset { get; set; }

    [Parameter] public ScheduleTarget? Target { get; set; }

    /// <summary>Append the job's output to this file.</summary>
    [Parameter] public string? LogPath { get; set; }

    [Parameter] public string? Description { get; set; }

    /// <summary>Replace a schedule of the same name.</summary>
    [Parameter] public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var timing = ScheduleTiming.Resolve(Cron, At, DayOfWeek, Preset);
            var name = ScheduleDefinition.ValidateName(Name);
            var script = Script is null ? null : ResolvePath(Script);
            var command = ScheduledCommand.Create(script, Command, ModuleRoot(), ScheduledCommand.FindOnPath("pwsh"), ScheduledCommand.FindOnPath("dotnet"));
            var schedule = new ScheduleDefinition(name, timing, command, Description, LogPath is null ? null : ResolvePath(LogPath));
            var location = Location(Target ?? DefaultTarget);
            if (script != null && !File.Exists(script)) WriteWarning($"-Script {script} does not exist yet; the job will fail until it does.");
            var registered = RunCore((observer, shouldProcess, _) => new ScheduleManager(observer, shouldProcess).Register(schedule, location, Force));
            if (registered != null) WriteObject(registered);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Name);
        }
    }
}
