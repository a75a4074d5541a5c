using BackupTools.Core.Errors;

namespace BackupTools.Core.Scheduling;

/// <summary>The common tiers, as cron. Times are spread so the tiers of one host do not start together.</summary>
public enum SchedulePreset
{
    /// <summary>Every hour at :15 (critical data, incremental).</summary>
    Hourly,
    /// <summary>Every day at 01:30.</summary>
    Daily,
    /// <summary>Sundays at 03:00 (full backup).</summary>
    WeeklyFull,
    /// <summary>The 1st of each month at 04:30 (archive).</summary>
    MonthlyArchive,
}

/// <summary>Turns -Cron, -At/-DayOfWeek or -Preset (exactly one) into a cron expression.</summary>
public static class ScheduleTiming
{
    public static string PresetCron(SchedulePreset preset) => preset switch
    {
        SchedulePreset.Hourly => "15 * * * *",
        SchedulePreset.Daily => "30 1 * * *",
        SchedulePreset.WeeklyFull => "0 3 * * 0",
        SchedulePreset.MonthlyArchive => "30 4 1 * *",
        _ => throw new ArgumentOutOfRangeException(nameof(preset)),
    };

    public static CronExpression Resolve(string? cron, TimeSpan? at, IReadOnlyList<DayOfWeek>? daysOfWeek, SchedulePreset? preset)
    {
        var given = (cron != null ? 1 : 0) + (at != null ? 1 : 0) + (preset != null ? 1 : 0);
        if (given != 1)
            throw new BackupInputException(given == 0 ? "ScheduleTimingMissing" : "ScheduleTimingConflict", "Cron",
                given == 0 ? "no time given." : "give only one of -Cron, -At and -Preset.",
                "Use -Cron '30 2 * * *', -At 02:30 [-DayOfWeek Sunday], or -Preset Hourly|Daily|WeeklyFull|MonthlyArchive.");
        if (daysOfWeek is { Count: > 0 } && at is null)
            throw new BackupInputException("ScheduleTimingConflict", "DayOfWeek", "only goes with -At.", "Use -At 03:00 -DayOfWeek Sunday, or put the weekday into -Cron.");
        if (preset is { } p) return CronExpression.Parse(PresetCron(p), "Preset");
        if (cron != null) return CronExpression.Parse(cron);
        var time = at!.Value;
        if (time < TimeSpan.Zero || time >= TimeSpan.FromDays(1) || time.Seconds != 0 || time.Milliseconds != 0)
            throw new BackupInputException("ScheduleTimingInvalid", "At", $"'{time}' is not a time of day in whole minutes.", "Use a time like 02:30.");
        var days = daysOfWeek is { Count: > 0 } ? string.Join(",", daysOfWeek.Select(d => (int)d).Distinct().Order()) : "*";
        return CronExpression.Parse($"{time.Minutes} {time.Hours} * * {days}", "At");
    }
}
