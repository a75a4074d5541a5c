namespace BackupTools.Core.Scheduling;

/// <summary>
/// Cron → systemd OnCalendar= values. systemd ANDs weekday and date, cron ORs a restricted day-of-month
/// with a restricted day-of-week, so that case becomes two OnCalendar= lines (a timer fires on either).
/// </summary>
public static class OnCalendar
{
    private static readonly string[] DayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

    public static IReadOnlyList<string> From(CronExpression cron)
    {
        var time = $"{Component(cron.Hours, 0, 23)}:{Component(cron.Minutes, 0, 59)}:00";
        var month = Component(cron.Months, 1, 12);
        var days = Component(cron.DaysOfMonth, 1, 31);
        if (cron.DayOfMonthRestricted && cron.DayOfWeekRestricted)
            return [$"{Weekdays(cron.DaysOfWeek)} *-{month}-* {time}", $"*-{month}-{days} {time}"];
        var weekdays = cron.DayOfWeekRestricted ? Weekdays(cron.DaysOfWeek) + " " : "";
        return [$"{weekdays}*-{month}-{days} {time}"];
    }

    /// <summary>"*" when every value is present, else runs of consecutive values as "a..b", joined by commas.</summary>
    private static string Component(IReadOnlySet<int> values, int min, int max)
    {
        if (values.Count == max - min + 1) return "*";
        return string.Join(",", Runs(values).Select(r => r.From == r.To ? r.From.ToString("00") : $"{r.From:00}..{r.To:00}"));
    }

    private static string Weekdays(IReadOnlySet<int> days)
    {
        // Monday-first so Mon..Fri stays a range; Sunday (0) sorts last as 7.
        var mondayFirst = new SortedSet<int>(days.Select(d => d == 0 ? 7 : d));
        return string.Join(",", Runs(mondayFirst).Select(r => r.From == r.To ? DayNames[r.From % 7] : $"{DayNames[r.From % 7]}..{DayNames[r.To % 7]}"));
    }

    private static IEnumerable<(int From, int To)> Runs(IEnumerable<int> sorted)
    {
        int? from = null, previous = null;
        foreach (var v in sorted.Order())
        {
            if (previous is { } p && v == p + 1) { previous = v; continue; }
            if (from is { } f) yield return (f, previous!.Value);
            from = previous = v;
        }
        if (from is { } last) yield return (last, previous!.Value);
    }
}
