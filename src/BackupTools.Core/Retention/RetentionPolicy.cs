using BackupTools.Core.Errors;

namespace BackupTools.Core.Retention;

/// <summary>
/// Which backups to keep, restic-style: the newest KeepLast backups, and for the last N hours/days/ISO
/// weeks/months/years that have backups the newest backup of each, plus everything started within
/// KeepWithin of now. Rules add up: a backup is kept when any rule keeps it. 0 / null = rule unused.
/// </summary>
public sealed record RetentionPolicy(
    int KeepLast = 0,
    int KeepHourly = 0,
    int KeepDaily = 0,
    int KeepWeekly = 0,
    int KeepMonthly = 0,
    int KeepYearly = 0,
    TimeSpan? KeepWithin = null)
{
    private const string AnyRule = "KeepLast, -KeepHourly, -KeepDaily, -KeepWeekly, -KeepMonthly, -KeepYearly or -KeepWithin";

    public bool IsEmpty => KeepLast == 0 && KeepHourly == 0 && KeepDaily == 0 && KeepWeekly == 0 && KeepMonthly == 0 && KeepYearly == 0 && KeepWithin is null;

    /// <summary>Refuses a policy that would keep nothing (only the safety rules would remain) or has negative counts.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[] { ("KeepLast", KeepLast), ("KeepHourly", KeepHourly), ("KeepDaily", KeepDaily),
                     ("KeepWeekly", KeepWeekly), ("KeepMonthly", KeepMonthly), ("KeepYearly", KeepYearly) })
            if (value < 0)
                throw new BackupInputException("RetentionPolicyInvalid", name, $"{value} is negative.", "Give how many periods to keep (1 or more), or leave the rule out.");
        if (KeepWithin is { } within && within <= TimeSpan.Zero)
            throw new BackupInputException("RetentionPolicyInvalid", "KeepWithin", $"{within} is not a positive duration.", "Give a duration such as 14d, 12h or 7.00:00:00.");
        if (KeepWithin is { } longest) Durations.CheckRange(longest, "KeepWithin");
        if (IsEmpty)
            throw new BackupInputException("RetentionPolicyEmpty", AnyRule,
                "no retention rule was given; an empty policy would keep nothing but the newest backup of each cell.",
                "Say what to keep, e.g. -KeepDaily 14 -KeepWeekly 9 -KeepMonthly 12.");
    }
}
