using System.Xml.Linq;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Scheduling;

/// <summary>
/// A Windows Task Scheduler definition (task schema 1.2, the format `schtasks /Create /XML` imports).
/// Cron maps onto calendar triggers: a fixed minute with listed hours (one trigger per hour), by day,
/// by weekday or by day of month; a fixed minute every hour, or every N minutes, becomes a daily trigger
/// repeating through the day. Anything else is refused with the field that cannot be expressed.
/// </summary>
public static class TaskSchedulerXml
{
    public static readonly XNamespace Ns = "http://schemas.microsoft.com/windows/2004/02/mit/task";
    private static readonly string[] MonthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    private static readonly string[] DayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    public const string SourceTag = "BackupTools";

    public static string FileName(string name) => "backuptools-" + name + ".xml";

    /// <param name="system">Run as SYSTEM (whether or not anyone is logged on); otherwise as the registering user.</param>
    public static XDocument Build(ScheduleDefinition schedule, string commandLineArguments, bool system = false)
    {
        var task = new XElement(Ns + "Task", new XAttribute("version", "1.2"),
            new XElement(Ns + "RegistrationInfo",
                new XElement(Ns + "Source", SourceTag),
                new XElement(Ns + "Description", schedule.Summary),
                new XElement(Ns + "Documentation", "cron: " + schedule.Cron.Text),
                new XElement(Ns + "URI", @"\BackupTools\" + schedule.Name)),
            new XElement(Ns + "Triggers", Triggers(schedule.Cron)),
            system ? new XElement(Ns + "Principals", new XElement(Ns + "Principal", new XAttribute("id", "Author"),
                new XElement(Ns + "UserId", "S-1-5-18"), new XElement(Ns + "RunLevel", "HighestAvailable"))) : null,
            new XElement(Ns + "Settings",
                new XElement(Ns + "MultipleInstancesPolicy", "IgnoreNew"),
                new XElement(Ns + "StartWhenAvailable", "true"), // like Persistent=true: catch up a missed run
                new XElement(Ns + "DisallowStartIfOnBatteries", "false"),
                new XElement(Ns + "StopIfGoingOnBatteries", "false"),
                new XElement(Ns + "ExecutionTimeLimit", "PT0S"),
                new XElement(Ns + "Enabled", "true")),
            new XElement(Ns + "Actions", new XAttribute("Context", "Author"),
                new XElement(Ns + "Exec",
                    new XElement(Ns + "Command", schedule.Command.Executable),
                    new XElement(Ns + "Arguments", commandLineArguments))));
        return new XDocument(new XDeclaration("1.0", "UTF-16", null), task);
    }

    private static IEnumerable<XElement> Triggers(CronExpression cron)
    {
        var allHours = cron.Hours.Count == 24;
        var start = new DateTime(2020, 1, 1);
        if (allHours)
        {
            // Every hour (or every N minutes) all day: one daily trigger at the first minute, repeating.
            var interval = RepeatInterval(cron.Minutes, "minute", 60);
            if (cron.Minutes.Count > 1 && interval is null) throw NotRepresentable("minute", "several minutes within the hour that are not evenly spaced");
            var first = cron.Minutes.Min();
            var repetition = new XElement(Ns + "Repetition",
                new XElement(Ns + "Interval", interval is { } m ? $"PT{m}M" : "PT1H"),
                new XElement(Ns + "Duration", "P1D"), new XElement(Ns + "StopAtDurationEnd", "false"));
            yield return Calendar(cron, start.AddMinutes(first), repetition);
            yield break;
        }
        if (cron.Minutes.Count != 1) throw NotRepresentable("minute", "several minutes at chosen hours");
        foreach (var hour in cron.Hours)
            yield return Calendar(cron, start.AddHours(hour).AddMinutes(cron.Minutes.Single()), null);
    }

    private static XElement Calendar(CronExpression cron, DateTime startBoundary, XElement? repetition)
    {
        var trigger = new XElement(Ns + "CalendarTrigger");
        if (repetition != null) trigger.Add(repetition);
        trigger.Add(new XElement(Ns + "StartBoundary", startBoundary.ToString("yyyy-MM-dd'T'HH:mm:ss")), new XElement(Ns + "Enabled", "true"));
        var allMonths = cron.Months.Count == 12;
        if (cron.DayOfMonthRestricted && cron.DayOfWeekRestricted) throw NotRepresentable("day-of-week", "both day-of-month and day-of-week restricted");
        if (cron.DayOfWeekRestricted)
        {
            if (!allMonths) throw NotRepresentable("month", "weekdays in chosen months");
            trigger.Add(new XElement(Ns + "ScheduleByWeek",
                new XElement(Ns + "DaysOfWeek", cron.DaysOfWeek.Select(d => new XElement(Ns + DayNames[d]))),
                new XElement(Ns + "WeeksInterval", 1)));
        }
        else if (cron.DayOfMonthRestricted || !allMonths)
        {
            trigger.Add(new XElement(Ns + "ScheduleByMonth",
                new XElement(Ns + "DaysOfMonth", cron.DaysOfMonth.Select(d => new XElement(Ns + "Day", d))),
                new XElement(Ns + "Months", cron.Months.Select(m => new XElement(Ns + MonthNames[m - 1])))));
        }
        else
        {
            trigger.Add(new XElement(Ns + "ScheduleByDay", new XElement(Ns + "DaysInterval", 1)));
        }
        return trigger;
    }

    /// <summary>For 0,15,30,45 → 15: evenly spaced values starting below the step that fill the cycle.</summary>
    private static int? RepeatInterval(IReadOnlySet<int> values, string field, int cycle)
    {
        if (values.Count < 2) return null;
        var sorted = values.Order().ToArray();
        var step = sorted[1] - sorted[0];
        if (cycle % step != 0 || sorted[0] >= step || sorted.Length != cycle / step) return null;
        return sorted.Zip(sorted.Skip(1)).All(p => p.Second - p.First == step) ? step : null;
    }

    public static (string? Cron, string? Command, string? Arguments, string? Description) Read(XDocument document)
    {
        var root = document.Root;
        if (root?.Element(Ns + "RegistrationInfo")?.Element(Ns + "Source")?.Value != SourceTag) return (null, null, null, null);
        var doc = root.Element(Ns + "RegistrationInfo")?.Element(Ns + "Documentation")?.Value;
        var exec = root.Element(Ns + "Actions")?.Element(Ns + "Exec");
        return (doc?.StartsWith("cron: ") == true ? doc[6..] : null, exec?.Element(Ns + "Command")?.Value, exec?.Element(Ns + "Arguments")?.Value,
            root.Element(Ns + "RegistrationInfo")?.Element(Ns + "Description")?.Value);
    }

    private static BackupInputException NotRepresentable(string field, string what) =>
        new("CronNotRepresentable", "Cron", $"field {field}: Task Scheduler cannot express {what}.",
            "Use one minute at listed hours ('0 2,14 * * *'), every hour or every N minutes ('*/15 * * * *'), weekdays ('0 3 * * 0'), or days of month ('30 4 1 * *').");
}
