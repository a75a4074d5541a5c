using BackupTools.Core.Errors;

namespace BackupTools.Core.Scheduling;

/// <summary>
/// A standard 5-field cron expression (minute hour day-of-month month day-of-week) as Vixie cron reads it:
/// lists, ranges, steps, month and weekday names, 7 = Sunday, and the @hourly/@daily/@weekly/@monthly/@yearly
/// macros. When both day fields are restricted a day matches either (cron's OR rule). Bad input fails with
/// InvalidCronExpression naming the field and what is wrong.
/// </summary>
public sealed class CronExpression
{
    internal static readonly CronField[] Fields =
    [
        new("minute", 0, 59, null),
        new("hour", 0, 23, null),
        new("day-of-month", 1, 31, null),
        new("month", 1, 12, ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
        new("day-of-week", 0, 7, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
    ];

    private static readonly Dictionary<string, string> Macros = new(StringComparer.OrdinalIgnoreCase)
    {
        ["@hourly"] = "0 * * * *", ["@daily"] = "0 0 * * *", ["@midnight"] = "0 0 * * *", ["@weekly"] = "0 0 * * 0",
        ["@monthly"] = "0 0 1 * *", ["@yearly"] = "0 0 1 1 *", ["@annually"] = "0 0 1 1 *",
    };

    private CronExpression(string text, SortedSet<int>[] values, bool dayOfMonthRestricted, bool dayOfWeekRestricted)
    {
        Text = text;
        Minutes = values[0];
        Hours = values[1];
        DaysOfMonth = values[2];
        Months = values[3];
        DaysOfWeek = values[4];
        DayOfMonthRestricted = dayOfMonthRestricted;
        DayOfWeekRestricted = dayOfWeekRestricted;
    }

    /// <summary>The expression as given, whitespace normalised.</summary>
    public string Text { get; }
    public IReadOnlySet<int> Minutes { get; }
    public IReadOnlySet<int> Hours { get; }
    public IReadOnlySet<int> DaysOfMonth { get; }
    public IReadOnlySet<int> Months { get; }
    /// <summary>0 = Sunday … 6 = Saturday (7 is folded into 0).</summary>
    public IReadOnlySet<int> DaysOfWeek { get; }
    /// <summary>The field did not start with '*': with both restricted, cron fires on either.</summary>
    public bool DayOfMonthRestricted { get; }
    public bool DayOfWeekRestricted { get; }

    public override string ToString() => Text;

    public static CronExpression Parse(string? text, string parameter = "Cron")
    {
        var trimmed = (text ?? "").Trim();
        if (trimmed.Length == 0) throw Invalid(parameter, "is empty.");
        if (trimmed.StartsWith('@'))
        {
            if (trimmed.Equals("@reboot", StringComparison.OrdinalIgnoreCase))
                throw Invalid(parameter, "'@reboot' is not a time; a schedule needs one (systemd timers and Task Scheduler have no equivalent).");
            if (!Macros.TryGetValue(trimmed, out var expanded))
                throw Invalid(parameter, $"unknown macro '{trimmed}'; known: {string.Join(", ", Macros.Keys)}.");
            return Build(trimmed.ToLowerInvariant(), expanded.Split(' '), parameter);
        }
        var parts = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5)
            throw Invalid(parameter, $"'{trimmed}' has {parts.Length} field(s); cron needs 5: minute hour day-of-month month day-of-week" +
                (parts.Length == 6 ? " (a seconds or year field is not supported)." : "."));
        return Build(string.Join(' ', parts), parts, parameter);
    }

    private static CronExpression Build(string text, string[] parts, string parameter)
    {
        var values = new SortedSet<int>[5];
        for (var i = 0; i < 5; i++) values[i] = Fields[i].Parse(parts[i], parameter);
        if (values[4].Remove(7)) values[4].Add(0);
        var expression = new CronExpression(text, values, !parts[2].StartsWith('*'), !parts[4].StartsWith('*'));
        if (expression.Next(new DateTime(2000, 1, 1)) is null)
            throw Invalid(parameter, $"'{text}' never fires (no month has that day).");
        return expression;
    }

    public bool MatchesDay(DateTime day)
    {
        if (!Months.Contains(day.Month)) return false;
        var dom = DaysOfMonth.Contains(day.Day);
        var dow = DaysOfWeek.Contains((int)day.DayOfWeek);
        if (DayOfMonthRestricted && DayOfWeekRestricted) return dom || dow;
        return dom && dow;
    }

    /// <summary>The first time strictly after <paramref name="after"/> (wall-clock time, minute resolution); null if none within 8 years.</summary>
    public DateTime? Next(DateTime after)
    {
        var start = new DateTime(after.Year, after.Month, after.Day, after.Hour, after.Minute, 0, after.Kind).AddMinutes(1);
        for (var day = start.Date; day < start.Date.AddYears(8); day = day.AddDays(1))
        {
            if (!MatchesDay(day)) continue;
            foreach (var hour in Hours)
                foreach (var minute in Minutes)
                {
                    var at = day.AddHours(hour).AddMinutes(minute);
                    if (at >= start) return at;
                }
        }
        return null;
    }

    internal static BackupInputException Invalid(string parameter, string message) =>
        new("InvalidCronExpression", parameter, message, "Use 5 fields: minute hour day-of-month month day-of-week, e.g. '30 2 * * *' (02:30 daily) or '0 3 * * 0' (Sundays 03:00).");
}

/// <summary>One field of a cron expression: its name, range and (for months and weekdays) names.</summary>
internal sealed record CronField(string Name, int Min, int Max, string[]? Names)
{
    public SortedSet<int> Parse(string text, string parameter)
    {
        var values = new SortedSet<int>();
        foreach (var element in text.Split(','))
        {
            if (element.Length == 0) throw Error(parameter, text, "has an empty list element.");
            var (range, stepText) = element.Split('/') switch
            {
                [var r] => (r, null),
                [var r, var s] => (r, s),
                _ => throw Error(parameter, text, $"'{element}' has more than one '/'."),
            };
            var step = 1;
            if (stepText != null && (!int.TryParse(stepText, out step) || step < 1))
                throw Error(parameter, text, $"step '{stepText}' must be a whole number of 1 or more.");
            int from, to;
            if (range == "*") (from, to) = (Min, Name == "day-of-week" ? 6 : Max);
            else if (range.Split('-') is [var a, var b]) (from, to) = (Value(a, text, parameter), Value(b, text, parameter));
            else { from = Value(range, text, parameter); to = stepText is null ? from : (Name == "day-of-week" ? 6 : Max); } // "5/15" means 5-max/15
            if (from > to) throw Error(parameter, text, $"range '{range}' runs backwards ({from} > {to}).");
            for (var v = from; v <= to; v += step) values.Add(v);
        }
        return values;
    }

    private int Value(string text, string field, string parameter)
    {
        if (Names != null)
        {
            var index = Array.FindIndex(Names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (index >= 0) return index + Min;
        }
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
            throw Error(parameter, field, $"'{text}' is not a number{(Names is null ? "" : " or a name (" + string.Join(",", Names) + ")")}.");
        if (value < Min || value > Max)
            throw Error(parameter, field, $"value {value} is out of range {Min}-{Max}.");
        return value;
    }

    private BackupInputException Error(string parameter, string field, string message) =>
        CronExpression.Invalid(parameter, $"field {Name} ('{field}'): {message}");
}
