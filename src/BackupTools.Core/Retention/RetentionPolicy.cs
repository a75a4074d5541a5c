using System.Globalization;
using System.Text.RegularExpressions;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Retention;

/// <summary>
/// Which backups to keep, restic-style: the newest KeepLast backups, and for the last N hours/days/ISO
/// weeks/months/years that have backups the newest backup of each, plus everything started within
/// KeepWithin of now. Rules add up: a backup is kept when any rule keeps it. 0 / null = rule unused.
/// </summary>
public sealed partial record RetentionPolicy(
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
        if (IsEmpty)
            throw new BackupInputException("RetentionPolicyEmpty", AnyRule,
                "no retention rule was given; an empty policy would keep nothing but the newest backup of each cell.",
                "Say what to keep, e.g. -KeepDaily 14 -KeepWeekly 9 -KeepMonthly 12.");
    }

    /// <summary>
    /// A duration for KeepWithin: a TimeSpan text ("7.00:00:00") or units "w", "d", "h", "min", "s"
    /// combined like "14d", "12h", "1d12h", "2w". A bare "m" is refused: month or minute would be a guess.
    /// </summary>
    public static TimeSpan ParseDuration(string text)
    {
        var value = text.Trim();
        var units = DurationPattern().Match(value);
        if (units.Success && value.Length > 0)
        {
            var total = TimeSpan.Zero;
            foreach (Capture part in units.Groups["part"].Captures)
            {
                var m = PartPattern().Match(part.Value);
                var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
                total += m.Groups["u"].Value.ToLowerInvariant() switch
                {
                    "w" => TimeSpan.FromDays(7 * n),
                    "d" => TimeSpan.FromDays(n),
                    "h" => TimeSpan.FromHours(n),
                    "min" => TimeSpan.FromMinutes(n),
                    _ => TimeSpan.FromSeconds(n),
                };
            }
            return total;
        }
        if (!value.Contains('m', StringComparison.OrdinalIgnoreCase)
            && TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span))
            return span;
        throw new BackupInputException("RetentionDurationInvalid", "KeepWithin", $"'{text}' is not a duration.",
            "Use e.g. 14d, 12h, 2w, 1d12h, 30min or a TimeSpan such as 7.00:00:00.");
    }

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?\s*(w|d|h|min|s)\s*)+$", RegexOptions.IgnoreCase)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>w|d|h|min|s)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex PartPattern();
}
