using BackupTools.Core;
using BackupTools.Core.Errors;
using BackupTools.Core.Retention;
using static BackupTools.Tests.Retention.SyntheticHistory;

namespace BackupTools.Tests.Retention;

public sealed class RetentionEvaluatorTests
{
    private readonly SyntheticHistory _h = new();

    [Fact]
    public void Daily_keeps_the_newest_backup_of_each_of_the_last_days_that_have_backups()
    {
        var d20a = _h.Add("2026-11-20T02:00:00Z");
        var d20b = _h.Add("2026-11-20T14:00:00Z");
        var d21 = _h.Add("2026-11-21T02:00:00Z");
        // no backup on the 22nd: an empty day does not use up one of the three
        var d23a = _h.Add("2026-11-23T02:00:00Z");
        var d23b = _h.Add("2026-11-23T03:00:00Z");

        var decisions = _h.Evaluate(new RetentionPolicy(KeepDaily: 3), "2026-11-24T12:00:00Z");

        Assert.Equal(Ids(d20b, d21, d23b), KeptIds(decisions));
        Assert.Equal(["daily 2026-11-23", RetentionEvaluator.NewestReason], For(decisions, d23b).Reasons);
        Assert.Equal(["daily 2026-11-21"], For(decisions, d21).Reasons);
        Assert.Equal(["daily 2026-11-20"], For(decisions, d20b).Reasons);
        Assert.Empty(For(decisions, d20a).Reasons);
        Assert.False(For(decisions, d23a).Keep);
        Assert.Equal(decisions.Select(d => d.StartedAt).Order(), decisions.Select(d => d.StartedAt)); // oldest first, like Get-Backup
    }

    [Fact]
    public void Weekly_uses_ISO_weeks_across_a_year_end()
    {
        var sun52 = _h.Add("2026-12-27T02:00:00Z");    // Sunday, 2026-W52
        var tue53 = _h.Add("2026-12-29T02:00:00Z");    // Tuesday, 2026-W53
        var sat53 = _h.Add("2027-01-02T02:00:00Z");    // Saturday, still 2026-W53
        var mon01 = _h.Add("2027-01-04T02:00:00Z");    // Monday, 2027-W01

        var decisions = _h.Evaluate(new RetentionPolicy(KeepWeekly: 3), "2027-01-05T00:00:00Z");

        Assert.Equal(Ids(sun52, sat53, mon01), KeptIds(decisions));
        Assert.Contains("weekly 2027-W01", For(decisions, mon01).Reasons);
        Assert.Equal(["weekly 2026-W53"], For(decisions, sat53).Reasons);
        Assert.Equal(["weekly 2026-W52"], For(decisions, sun52).Reasons);
        Assert.False(For(decisions, tue53).Keep);
    }

    [Fact]
    public void Monthly_periods_are_UTC_calendar_months_at_month_ends()
    {
        var jan31 = _h.Add("2026-01-31T23:30:00Z");
        var feb01 = _h.Add("2026-02-01T00:10:00Z");
        var feb28Local = _h.Add("2026-03-01T01:00:00+02:00"); // 2026-02-28 23:00 UTC: February, not March
        var feb28 = _h.Add("2026-02-28T23:59:59Z");
        var mar01 = _h.Add("2026-03-01T00:00:00Z");

        var decisions = _h.Evaluate(new RetentionPolicy(KeepMonthly: 3), "2026-03-02T00:00:00Z");

        Assert.Equal(Ids(jan31, feb28, mar01), KeptIds(decisions));
        Assert.Equal(["monthly 2026-01"], For(decisions, jan31).Reasons);
        Assert.Equal(["monthly 2026-02"], For(decisions, feb28).Reasons);
        Assert.False(For(decisions, feb28Local).Keep);
        Assert.False(For(decisions, feb01).Keep);
    }

    [Fact]
    public void Hourly_keeps_the_newest_of_each_hour_and_yearly_the_newest_of_each_year()
    {
        var backups = Enumerable.Range(0, 9).Select(i => _h.Add(At("2026-11-24T10:00:00Z").AddMinutes(20 * i))).ToList(); // 10:00 … 12:40
        var hourly = _h.Evaluate(new RetentionPolicy(KeepHourly: 2), "2026-11-24T13:00:00Z");
        Assert.Equal(Ids(backups[5], backups[8]), KeptIds(hourly)); // 11:40 and 12:40
        Assert.Contains("hourly 2026-11-24 12:00", For(hourly, backups[8]).Reasons);
        Assert.Equal(["hourly 2026-11-24 11:00"], For(hourly, backups[5]).Reasons);

        var y2024 = _h.Add("2024-12-31T23:59:00Z");
        var y2025a = _h.Add("2025-01-01T00:00:00Z");
        var y2025b = _h.Add("2025-12-31T23:00:00Z");
        var yearly = _h.Evaluate(new RetentionPolicy(KeepYearly: 3), "2026-11-24T13:00:00Z");
        Assert.Equal(Ids(y2024, y2025b, backups[8]), KeptIds(yearly));
        Assert.False(For(yearly, y2025a).Keep);
        Assert.Equal(["yearly 2024"], For(yearly, y2024).Reasons);
    }

    [Fact]
    public void KeepLast_keeps_the_newest_n_and_rules_add_up()
    {
        var all = Enumerable.Range(1, 6).Select(i => _h.Add($"2026-11-{10 + i}T02:00:00Z")).ToList(); // 11th … 16th
        var decisions = _h.Evaluate(new RetentionPolicy(KeepLast: 2, KeepMonthly: 1), "2026-11-20T00:00:00Z");
        Assert.Equal(Ids(all[4], all[5]), KeptIds(decisions));
        Assert.Equal(["last 2", "monthly 2026-11", RetentionEvaluator.NewestReason], For(decisions, all[5]).Reasons);
        Assert.Equal(["last 2"], For(decisions, all[4]).Reasons);
    }

    [Fact]
    public void Kept_incremental_keeps_its_whole_chain()
    {
        var full = _h.Add("2026-11-01T02:00:00Z");
        var inc1 = _h.Add("2026-11-02T02:00:00Z", BackupKind.Incremental, full);
        var inc2 = _h.Add("2026-11-03T02:00:00Z", BackupKind.Incremental, inc1);
        var full2 = _h.Add("2026-11-08T02:00:00Z");
        var diff1 = _h.Add("2026-11-09T02:00:00Z", BackupKind.Differential, full2);
        var diff2 = _h.Add("2026-11-10T02:00:00Z", BackupKind.Differential, full2);

        // The window (from 11-03 00:00) reaches back to inc2; inc1 is the restore point at its start.
        var decisions = _h.Evaluate(new RetentionPolicy(KeepLast: 1, KeepWithin: TimeSpan.FromDays(8)), "2026-11-11T00:00:00Z");

        Assert.Equal(Ids(full, inc1, inc2, full2, diff1, diff2), KeptIds(decisions));
        Assert.Equal(["restore point at window start (within 8.00:00:00)", $"base of kept incremental {inc2.Id}"], For(decisions, inc1).Reasons);
        Assert.Equal([$"base of kept incremental {inc1.Id}"], For(decisions, full).Reasons);
        Assert.Contains($"base of kept differential {diff2.Id}", For(decisions, full2).Reasons);

        var lastOnly = _h.Evaluate(new RetentionPolicy(KeepLast: 1), "2026-11-11T00:00:00Z");
        Assert.Equal(Ids(full2, diff2), KeptIds(lastOnly)); // diff1 is not needed by diff2: both build on full2
        Assert.Equal([$"base of kept differential {diff2.Id}"], For(lastOnly, full2).Reasons);
    }

    [Fact]
    public void Newest_verified_backup_is_kept_whatever_the_policy()
    {
        var full = _h.Add("2026-11-01T02:00:00Z");
        var verified = _h.Add("2026-11-02T02:00:00Z", BackupKind.Incremental, full);
        var older = _h.Add("2026-11-01T01:00:00Z");
        var unverified = _h.Add("2026-11-03T02:00:00Z", BackupKind.Incremental, verified);
        var newest = _h.Add("2026-11-04T02:00:00Z");

        var decisions = _h.Evaluate(new RetentionPolicy(KeepLast: 1), "2026-11-05T00:00:00Z", older, verified);

        Assert.Equal(Ids(full, verified, newest), KeptIds(decisions));
        Assert.Equal([RetentionEvaluator.NewestVerifiedReason], For(decisions, verified).Reasons);
        Assert.False(For(decisions, older).Keep);      // verified, but not the newest verified
        Assert.False(For(decisions, unverified).Keep);
        Assert.Contains($"base of kept incremental {verified.Id}", For(decisions, full).Reasons);
    }

    [Fact]
    public void KeepWithin_keeps_the_window_and_the_chain_of_the_restore_point_before_it()
    {
        var start = At("2026-11-04T02:00:00Z");
        var oldFull = _h.Add(start);
        var previous = oldFull;
        for (var day = 1; day < 10; day++) previous = _h.Add(start.AddDays(day), BackupKind.Incremental, previous);
        var full = _h.Add(start.AddDays(10)); // 2026-11-14
        var chain = new List<BackupTools.Core.Repository.BackupManifest> { full };
        for (var day = 11; day < 20; day++) chain.Add(_h.Add(start.AddDays(day), BackupKind.Incremental, chain[^1])); // … 2026-11-23

        var decisions = _h.Evaluate(new RetentionPolicy(KeepWithin: TimeSpan.FromDays(7)), "2026-11-24T12:00:00Z"); // window from 11-17 12:00

        Assert.Equal(Ids(chain.ToArray()), KeptIds(decisions)); // 11-18…11-23 within; 11-17 is the restore point at the window start; 11-14…11-16 its chain
        Assert.Equal(["within 7.00:00:00", $"base of kept incremental {chain[5].Id}"], For(decisions, chain[4]).Reasons); // 11-18
        Assert.Equal("restore point at window start (within 7.00:00:00)", For(decisions, chain[3]).Reasons[0]); // 11-17
        Assert.Equal([$"base of kept incremental {chain[1].Id}"], For(decisions, full).Reasons);
        Assert.False(For(decisions, oldFull).Keep);

        var fullsOnly = new SyntheticHistory();
        var fulls = Enumerable.Range(0, 10).Select(i => fullsOnly.Add(start.AddDays(i))).ToList(); // 11-04 … 11-13
        var windowed = fullsOnly.Evaluate(new RetentionPolicy(KeepWithin: Durations.Parse("3d", "KeepWithin")), "2026-11-13T12:00:00Z");
        Assert.Equal(Ids(fulls[6], fulls[7], fulls[8], fulls[9]), KeptIds(windowed)); // 11-11 02:00 is the full before the window (11-10 12:00)
        Assert.Equal(["within 3.00:00:00"], For(windowed, fulls[7]).Reasons);
        Assert.Equal(["restore point at window start (within 3.00:00:00)"], For(windowed, fulls[6]).Reasons);
    }

    [Fact]
    public void Cells_and_series_are_evaluated_independently()
    {
        var crm = Enumerable.Range(1, 4).Select(i => _h.Add($"2026-11-{10 + i}T02:00:00Z")).ToList();
        var billing = _h.Add("2025-01-01T02:00:00Z", cell: "billing", source: "/data/billing");
        // one cell holding two databases: each database keeps its own backups
        var shopA = _h.Add("2026-11-13T02:00:00Z", cell: "shop", source: "pg://db1/orders", engine: "postgres");
        var shopB = _h.Add("2026-11-01T02:00:00Z", cell: "shop", source: "pg://db1/stock", engine: "postgres");

        var decisions = _h.Evaluate(new RetentionPolicy(KeepLast: 2), "2026-11-20T00:00:00Z");

        Assert.Equal(Ids(crm[2], crm[3], billing, shopA, shopB), KeptIds(decisions));
        Assert.Equal(["last 2", RetentionEvaluator.NewestReason], For(decisions, billing).Reasons);
        Assert.Equal("billing", For(decisions, billing).Cell);
    }

    [Fact]
    public void Newest_backup_of_a_cell_is_kept_even_when_no_rule_reaches_it()
    {
        var old = _h.Add("2020-01-01T02:00:00Z");
        var decisions = _h.Evaluate(new RetentionPolicy(KeepWithin: TimeSpan.FromDays(1)), "2026-11-20T00:00:00Z");
        Assert.True(For(decisions, old).Keep);
        Assert.Contains(RetentionEvaluator.NewestReason, For(decisions, old).Reasons);
    }

    [Fact]
    public void Safety_backups_are_ordinary_backups()
    {
        var safetyTags = new Dictionary<string, string> { ["reason"] = "safety-before-restore", ["restoring"] = "x" };
        var oldSafety = _h.Add("2026-11-01T02:00:00Z", tags: safetyTags);
        var full = _h.Add("2026-11-02T02:00:00Z");
        var newSafety = _h.Add("2026-11-03T02:00:00Z", tags: safetyTags);
        var decisions = _h.Evaluate(new RetentionPolicy(KeepLast: 1), "2026-11-04T00:00:00Z");
        Assert.Equal(Ids(newSafety), KeptIds(decisions));
        Assert.False(For(decisions, oldSafety).Keep);
        Assert.False(For(decisions, full).Keep);
    }

    [Fact]
    public void Operator_policy_over_two_years_of_daily_fulls_keeps_the_hand_worked_set()
    {
        var start = At("2024-11-25T02:00:00Z");
        var byDate = Enumerable.Range(0, 730).Select(i => _h.Add(start.AddDays(i))).ToDictionary(m => m.StartedAt.UtcDateTime.ToString("yyyy-MM-dd"));
        var decisions = _h.Evaluate(new RetentionPolicy(KeepDaily: 14, KeepWeekly: 9, KeepMonthly: 12), "2026-11-24T12:00:00Z");

        // daily 14: Nov 11 … Nov 24 2026. weekly 9: Nov 24 (W48, current week) and the Sundays Nov 22 … Oct 4.
        // monthly 12: Nov 24 and the month ends Oct 31 2026 … Dec 31 2025. Union: 14 + 6 Sundays before Nov 11 + 11 month ends = 31.
        var expected = Enumerable.Range(11, 14).Select(d => $"2026-11-{d:D2}")
            .Concat(["2026-11-08", "2026-11-01", "2026-10-25", "2026-10-18", "2026-10-11", "2026-10-04"])
            .Concat(["2026-10-31", "2026-09-30", "2026-08-31", "2026-07-31", "2026-06-30", "2026-05-31", "2026-04-30", "2026-03-31", "2026-02-28", "2026-01-31", "2025-12-31"])
            .ToList();
        Assert.Equal(31, expected.Distinct().Count());
        Assert.Equal(expected.Select(d => byDate[d].Id).Order(StringComparer.Ordinal), KeptIds(decisions));
        Assert.Equal(["daily 2026-11-22", "weekly 2026-W47"], For(decisions, byDate["2026-11-22"]).Reasons);
        Assert.Equal(["weekly 2026-W41"], For(decisions, byDate["2026-10-11"]).Reasons);
        Assert.Equal(["monthly 2026-10"], For(decisions, byDate["2026-10-31"]).Reasons);
    }

    [Fact]
    public void Operator_policy_over_two_years_of_weekly_fulls_with_daily_incrementals_keeps_their_chains()
    {
        // Fulls on Sundays (and on the first day), incrementals on every other day, each on the day before.
        var start = At("2024-11-25T02:00:00Z");
        var byDate = new Dictionary<string, BackupTools.Core.Repository.BackupManifest>();
        BackupTools.Core.Repository.BackupManifest? previous = null;
        for (var i = 0; i < 730; i++)
        {
            var at = start.AddDays(i);
            previous = previous is null || at.DayOfWeek == DayOfWeek.Sunday ? _h.Add(at) : _h.Add(at, BackupKind.Incremental, previous);
            byDate[at.UtcDateTime.ToString("yyyy-MM-dd")] = previous;
        }
        var decisions = _h.Evaluate(new RetentionPolicy(KeepDaily: 14, KeepWeekly: 9, KeepMonthly: 12), "2026-11-24T12:00:00Z");

        // The same 31 as with fulls, plus each kept incremental's days back to its Sunday full (Sundays already kept not counted):
        // Dec 31 2025 Wed +3, Jan 31 Sat +6, Feb 28 Sat +6, Mar 31 Tue +2, Apr 30 Thu +4, May 31 Sun 0, Jun 30 Tue +2,
        // Jul 31 Fri +5, Aug 31 Mon +1, Sep 30 Wed +3, Oct 31 Sat +5 (Oct 25 is a weekly), Nov 11 Wed +2 (Nov 8 is a weekly) = 39.
        Assert.Equal(70, decisions.Count(d => d.Keep));
        foreach (var day in new[] { "2025-12-28", "2025-12-29", "2025-12-30", "2026-01-25", "2026-08-30", "2026-11-09", "2026-11-10" })
            Assert.True(For(decisions, byDate[day]).Keep, day);
        Assert.Equal([$"base of kept incremental {byDate["2026-08-31"].Id}"], For(decisions, byDate["2026-08-30"]).Reasons);
        Assert.False(For(decisions, byDate["2026-05-30"]).Keep);
        Assert.False(For(decisions, byDate["2025-12-27"]).Keep);
        var kept = decisions.Where(d => d.Keep).Select(d => d.Id).ToHashSet();
        foreach (var d in decisions.Where(d => d.Keep && d.Record.ParentId != null))
            Assert.Contains(d.Record.ParentId!, kept);
    }

    [Fact]
    public void Empty_or_negative_policy_is_refused()
    {
        _h.Add("2026-11-01T02:00:00Z");
        var empty = Assert.Throws<BackupInputException>(() => _h.Evaluate(new RetentionPolicy(), "2026-11-02T00:00:00Z"));
        Assert.Equal("RetentionPolicyEmpty", empty.ErrorId);
        var negative = Assert.Throws<BackupInputException>(() => _h.Evaluate(new RetentionPolicy(KeepDaily: -1), "2026-11-02T00:00:00Z"));
        Assert.Equal("RetentionPolicyInvalid", negative.ErrorId);
        Assert.Equal("RetentionPolicyInvalid", Assert.Throws<BackupInputException>(() => new RetentionPolicy(KeepWithin: TimeSpan.Zero).Validate()).ErrorId);
    }

    [Theory]
    [InlineData("14d", 14 * 24 * 60)]
    [InlineData("12h", 12 * 60)]
    [InlineData("2w", 14 * 24 * 60)]
    [InlineData("1d12h", 36 * 60)]
    [InlineData("30min", 30)]
    [InlineData("7.00:00:00", 7 * 24 * 60)]
    [InlineData("1.5d", 36 * 60)]
    public void Durations_parse_from_short_text(string text, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), Durations.Parse(text, "KeepWithin"));
    }

    [Theory]
    [InlineData("3mo")]
    [InlineData("soon")]
    [InlineData("")]
    public void Ambiguous_or_unknown_durations_are_refused(string text)
    {
        Assert.Equal("DurationInvalid", Assert.Throws<BackupInputException>(() => Durations.Parse(text, "KeepWithin")).ErrorId);
    }
}
