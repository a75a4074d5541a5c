using System.Management.Automation;
using BackupTools.Core.Errors;
using BackupTools.Core.Scheduling;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>Lists the schedules BackupTools installed (its crontab blocks, units and task definitions).</summary>
[Cmdlet(VerbsCommon.Get, "BackupSchedule")]
[OutputType(typeof(BackupSchedule))]
public sealed class GetBackupScheduleCommand : ScheduleCmdlet
{
    /// <summary>Names or wildcard patterns; default all.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>Only this scheduler; default: every scheduler available here.</summary>
    [Parameter] public ScheduleTarget? Target { get; set; }

    protected override void ProcessRecord()
    {
        var patterns = (Name ?? ["*"]).Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
        if (TargetPath != null && Target is null)
        {
            WriteFailure(new BackupInputException("ScheduleTargetRequired", "Target", "is needed with -TargetPath.", "Add -Target Cron, Systemd or TaskScheduler."), TargetPath);
            return;
        }
        foreach (var target in Target is { } t ? [t] : Enum.GetValues<ScheduleTarget>())
        {
            try
            {
                var found = RunCore((observer, shouldProcess, _) => new ScheduleManager(observer, shouldProcess).List(Location(target)));
                WriteObject(found.Where(s => patterns.Any(p => p.IsMatch(s.Name))), enumerateCollection: true);
            }
            catch (BackupToolsException e) when (Target is null && e.ErrorId == "CrontabUnavailable")
            {
                WriteVerbose("No crontab command here: cron schedules skipped.");
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, target);
            }
        }
    }
}
