namespace BackupTools.Core.Scheduling;

/// <summary>
/// Where schedules of one target live. TargetPath overrides the default: a crontab file instead of the
/// user's crontab, a unit folder instead of ~/.config/systemd/user or /etc/systemd/system, a folder for
/// Task Scheduler XML. With an override nothing is activated (no systemctl/schtasks).
/// </summary>
public sealed record ScheduleLocation(ScheduleTarget Target, ScheduleScope Scope, string? TargetPath)
{
    public bool IsDefault => TargetPath is null;

    public ICrontab Crontab() => TargetPath is null ? new UserCrontab() : new FileCrontab(TargetPath);

    public string Directory() => TargetPath ?? Target switch
    {
        ScheduleTarget.Systemd => SystemdUnits.DefaultDirectory(Scope == ScheduleScope.System),
        ScheduleTarget.TaskScheduler => Path.Combine(OperatingSystem.IsWindows()
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "BackupTools")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "backuptools"), "tasks"),
        _ => throw new InvalidOperationException("cron schedules live in a crontab, not a folder"),
    };
}
