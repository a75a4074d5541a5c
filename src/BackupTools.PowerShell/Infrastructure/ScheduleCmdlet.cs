using System.Management.Automation;
using BackupTools.Core.Errors;
using BackupTools.Core.Scheduling;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>Shared parameters of the schedule cmdlets: which scheduler, which scope, which place.</summary>
public abstract class ScheduleCmdlet : BackupToolsCmdlet
{
    /// <summary>System for /etc/systemd/system (root); User (default) for ~/.config/systemd/user.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public ScheduleScope Scope { get; set; } = ScheduleScope.User;

    /// <summary>A crontab file, unit folder or task XML folder to use instead of the scheduler's default place.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? TargetPath { get; set; }

    protected ScheduleLocation Location(ScheduleTarget target) => new(target, Scope, TargetPath is null ? null : ResolvePath(TargetPath));

    /// <summary>Cron on Linux/macOS, Task Scheduler on Windows.</summary>
    protected static ScheduleTarget DefaultTarget => OperatingSystem.IsWindows() ? ScheduleTarget.TaskScheduler : ScheduleTarget.Cron;

    /// <summary>The checkout this module was loaded from: BackupTools.psd1 and bt sit two levels above module/bin.</summary>
    protected static string ModuleRoot()
    {
        var bin = Path.GetDirectoryName(typeof(ScheduleCmdlet).Assembly.Location)!;
        var root = Path.GetFullPath(Path.Combine(bin, "..", ".."));
        if (!File.Exists(Path.Combine(root, "BackupTools.psd1")))
            throw new BackupToolsException("ModuleRootNotFound", FailureKind.NotFound, $"BackupTools.psd1 was not found in {root}; the schedule would not find the module.",
                "Load BackupTools from its installed folder (the one holding BackupTools.psd1 and module/).");
        return root;
    }
}
