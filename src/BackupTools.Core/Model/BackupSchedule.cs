namespace BackupTools;

public enum ScheduleTarget { Cron, Systemd, TaskScheduler }

public enum ScheduleScope { User, System }

/// <summary>An installed schedule as Register-/Get-BackupSchedule report it.</summary>
public sealed record BackupSchedule
{
    public required string Name { get; init; }
    public required ScheduleTarget Target { get; init; }
    public ScheduleScope Scope { get; init; }
    /// <summary>The cron expression the schedule was registered with.</summary>
    public required string Cron { get; init; }
    /// <summary>systemd OnCalendar= value(s) for the cron expression.</summary>
    public required string[] OnCalendar { get; init; }
    /// <summary>The command line that runs (as the scheduler holds it).</summary>
    public required string Command { get; init; }
    public string? Description { get; init; }
    /// <summary>Next start in this machine's local time, computed from the cron expression.</summary>
    public DateTime? NextRun { get; init; }
    /// <summary>Files written (unit files, task XML) or the crontab it lives in.</summary>
    public required string[] Files { get; init; }
    /// <summary>The -TargetPath it was registered under (null: the scheduler's default place).</summary>
    public string? TargetPath { get; init; }

    public override string ToString() => $"{Name} ({Target}, {Cron})";
}
