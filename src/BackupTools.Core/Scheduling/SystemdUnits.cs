using System.Text;

namespace BackupTools.Core.Scheduling;

/// <summary>
/// A oneshot service and its timer (OnCalendar from the cron expression, Persistent=true so a run missed
/// while the machine was off happens at the next boot). Files are named backuptools-NAME.service/.timer.
/// </summary>
public static class SystemdUnits
{
    public const string Prefix = "backuptools-";
    private const string CronComment = "# BackupTools cron: ";

    public static string ServiceName(string name) => Prefix + name + ".service";
    public static string TimerName(string name) => Prefix + name + ".timer";

    /// <summary>~/.config/systemd/user, or /etc/systemd/system for the system scope.</summary>
    public static string DefaultDirectory(bool system) => system
        ? "/etc/systemd/system"
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } config
            ? config : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"), "systemd", "user");

    public static string Service(ScheduleDefinition schedule)
    {
        var text = new StringBuilder()
            .Append("# Written by BackupTools Register-BackupSchedule; replaced on re-register.\n")
            .Append("[Unit]\nDescription=").Append(Escape(schedule.Summary)).Append('\n')
            .Append("\n[Service]\nType=oneshot\n");
        if (schedule.Command.JobPath != null) text.Append("Environment=\"PATH=").Append(Escape(schedule.Command.JobPath)).Append("\"\n");
        text.Append("ExecStart=").Append(schedule.Command.ToSystemd()).Append('\n');
        if (schedule.LogPath != null)
        {
            var log = Escape(schedule.LogPath);
            text.Append("StandardOutput=append:").Append(log).Append("\nStandardError=append:").Append(log).Append('\n');
        }
        return text.ToString();
    }

    public static string Timer(ScheduleDefinition schedule)
    {
        var text = new StringBuilder()
            .Append("# Written by BackupTools Register-BackupSchedule; replaced on re-register.\n")
            .Append(CronComment).Append(schedule.Cron.Text).Append('\n')
            .Append("[Unit]\nDescription=Timer of ").Append(Escape(schedule.Summary)).Append('\n')
            .Append("\n[Timer]\n");
        foreach (var calendar in OnCalendar.From(schedule.Cron)) text.Append("OnCalendar=").Append(calendar).Append('\n');
        return text.Append("Persistent=true\nUnit=").Append(ServiceName(schedule.Name)).Append('\n')
            .Append("\n[Install]\nWantedBy=timers.target\n").ToString();
    }

    /// <summary>The schedule's cron text and the service's ExecStart, read back from written units.</summary>
    public static (string? Cron, string? ExecStart, string? Description) Read(string timerText, string? serviceText)
    {
        string? Value(string? text, string prefix) => text?.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim();
        return (Value(timerText, CronComment), Value(serviceText, "ExecStart="), Value(serviceText, "Description="));
    }

    // '%' starts a specifier in unit files.
    private static string Escape(string text) => text.Replace("\n", " ").Replace("%", "%%");
}
