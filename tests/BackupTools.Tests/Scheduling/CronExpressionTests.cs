using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using BackupTools.Core.Errors;
using BackupTools.Core.Scheduling;

namespace BackupTools.Tests.Scheduling;

public sealed class CronExpressionTests
{
    private static DateTime[] Next(string cron, DateTime from, int count)
    {
        var expression = CronExpression.Parse(cron);
        var times = new List<DateTime>();
        for (DateTime? t = from; times.Count < count; times.Add(t!.Value)) t = expression.Next(t!.Value);
        return times.ToArray();
    }

    [Theory]
    [InlineData("*/15 * * * *", "2026-01-01 00:00", "2026-01-01 00:15,2026-01-01 00:30,2026-01-01 00:45")]
    [InlineData("30 2 * * *", "2026-01-01 02:30", "2026-01-02 02:30,2026-01-03 02:30,2026-01-04 02:30")]
    [InlineData("0 3 * * 0", "2026-01-01 00:00", "2026-01-04 03:00,2026-01-11 03:00,2026-01-18 03:00")]
    [InlineData("0 3 * * 7", "2026-01-01 00:00", "2026-01-04 03:00,2026-01-11 03:00,2026-01-18 03:00")] // 7 is Sunday too
    [InlineData("0 9 * * mon-fri", "2026-01-02 10:00", "2026-01-05 09:00,2026-01-06 09:00,2026-01-07 09:00")]
    [InlineData("0 0 13 * fri", "2026-02-01 00:00", "2026-02-06 00:00,2026-02-13 00:00,2026-02-20 00:00")] // both days restricted: either matches
    [InlineData("0 0 29 feb *", "2026-01-01 00:00", "2028-02-29 00:00,2032-02-29 00:00,2036-02-29 00:00")]
    [InlineData("5/20 1-3 * * *", "2026-01-01 00:00", "2026-01-01 01:05,2026-01-01 01:25,2026-01-01 01:45")]
    [InlineData("@monthly", "2026-01-01 00:00", "2026-02-01 00:00,2026-03-01 00:00,2026-04-01 00:00")]
    [InlineData("0 12 1,15 jan,jul *", "2026-01-02 00:00", "2026-01-15 12:00,2026-07-01 12:00,2026-07-15 12:00")]
    public void Next_runs_follow_cron_rules(string cron, string from, string expected)
    {
        var times = Next(cron, DateTime.Parse(from, CultureInfo.InvariantCulture), 3);
        Assert.Equal(expected.Split(',').Select(t => DateTime.Parse(t, CultureInfo.InvariantCulture)), times);
    }

    [Theory]
    [InlineData("61 * * * *", "field minute", "out of range 0-59")]
    [InlineData("0 24 * * *", "field hour", "out of range 0-23")]
    [InlineData("0 0 0 * *", "field day-of-month", "out of range 1-31")]
    [InlineData("0 0 * 13 *", "field month", "out of range 1-12")]
    [InlineData("0 0 * * 8", "field day-of-week", "out of range 0-7")]
    [InlineData("0 0 * * mon-", "field day-of-week", "is not a number or a name")]
    [InlineData("0 0 * foo *", "field month", "is not a number or a name")]
    [InlineData("30-10 * * * *", "field minute", "runs backwards")]
    [InlineData("*/0 * * * *", "field minute", "step '0'")]
    [InlineData("1,,2 * * * *", "field minute", "empty list element")]
    [InlineData("* * *", "3 field(s)", "cron needs 5")]
    [InlineData("0 0 0 * * *", "6 field(s)", "seconds or year")]
    [InlineData("0 0 31 2 *", "never fires", "")]
    [InlineData("@reboot", "'@reboot' is not a time", "")]
    [InlineData("@often", "unknown macro", "")]
    [InlineData("", "is empty", "")]
    public void Bad_expressions_fail_naming_the_field(string cron, string part1, string part2)
    {
        var error = Assert.Throws<BackupInputException>(() => CronExpression.Parse(cron));
        Assert.Equal("InvalidCronExpression", error.ErrorId);
        Assert.StartsWith("-Cron: ", error.Message);
        Assert.Contains(part1, error.Message);
        Assert.Contains(part2, error.Message);
        Assert.NotNull(error.RecommendedAction);
    }

    /// <summary>The OnCalendar values must fire exactly when cron would: systemd itself computes the next runs.</summary>
    [Theory]
    [InlineData("*/15 * * * *")]
    [InlineData("15 * * * *")]
    [InlineData("30 1 * * *")]
    [InlineData("0 3 * * 0")]
    [InlineData("30 4 1 * *")]
    [InlineData("0 9-17/2 * * mon-fri")]
    [InlineData("0 3 1-7 * sun")]
    [InlineData("0 0 13 * 5")]
    [InlineData("10,40 6,18 * jan-mar,oct *")]
    [InlineData("0 12 * * 6,7")]
    [InlineData("@yearly")]
    public void OnCalendar_fires_when_cron_would_according_to_systemd(string cron)
    {
        var baseTime = new DateTime(2025, 12, 31, 23, 59, 30);
        var expected = Next(cron, baseTime, 25);
        var lines = OnCalendar.From(CronExpression.Parse(cron));
        var psi = new ProcessStartInfo("systemd-analyze") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["TZ"] = "UTC";
        foreach (var a in new[] { "calendar", "--iterations=25", "--base-time=2025-12-31 23:59:30 UTC" }.Concat(lines)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        var systemd = Regex.Matches(output, @"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC").Select(m => DateTime.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .Distinct().Order().Take(25).ToArray();
        Assert.Equal(expected, systemd);
    }

    [Fact]
    public void Both_day_fields_restricted_become_two_OnCalendar_lines()
    {
        Assert.Equal(["Sun *-*-* 03:00:00", "*-*-01..07 03:00:00"], OnCalendar.From(CronExpression.Parse("0 3 1-7 * sun")));
        Assert.Equal(["Mon..Fri *-*-* 09:00:00"], OnCalendar.From(CronExpression.Parse("0 9 * * 1-5")));
    }

    [Fact]
    public void Presets_and_At_resolve_to_cron()
    {
        Assert.Equal("15 * * * *", ScheduleTiming.Resolve(null, null, null, SchedulePreset.Hourly).Text);
        Assert.Equal("0 3 * * 0", ScheduleTiming.Resolve(null, null, null, SchedulePreset.WeeklyFull).Text);
        Assert.Equal("30 4 1 * *", ScheduleTiming.Resolve(null, null, null, SchedulePreset.MonthlyArchive).Text);
        Assert.Equal("30 2 * * *", ScheduleTiming.Resolve(null, new TimeSpan(2, 30, 0), null, null).Text);
        Assert.Equal("0 22 * * 0,6", ScheduleTiming.Resolve(null, new TimeSpan(22, 0, 0), [DayOfWeek.Saturday, DayOfWeek.Sunday], null).Text);
        Assert.Equal("ScheduleTimingMissing", Assert.Throws<BackupInputException>(() => ScheduleTiming.Resolve(null, null, null, null)).ErrorId);
        Assert.Equal("ScheduleTimingConflict", Assert.Throws<BackupInputException>(() => ScheduleTiming.Resolve("* * * * *", null, null, SchedulePreset.Daily)).ErrorId);
        Assert.Equal("ScheduleTimingConflict", Assert.Throws<BackupInputException>(() => ScheduleTiming.Resolve("0 1 * * *", null, [DayOfWeek.Monday], null)).ErrorId);
        Assert.Equal("ScheduleTimingInvalid", Assert.Throws<BackupInputException>(() => ScheduleTiming.Resolve(null, new TimeSpan(1, 2, 3, 0), null, null)).ErrorId);
    }
}
