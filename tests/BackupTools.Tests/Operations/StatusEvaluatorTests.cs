using BackupTools.Core.Repository;
using BackupTools.Core.Status;
using BackupTools.Tests.Retention;

namespace BackupTools.Tests.Operations;

/// <summary>Status over generated histories: fresh, stale, shrunken, unverified, failed, broken chains, missing copies.</summary>
public sealed class StatusEvaluatorTests
{
    private static readonly DateTimeOffset Now = SyntheticHistory.At("2026-11-24 12:00");

    private static VerificationEntry Checked(BackupManifest m, string at, bool passed = true, bool restore = false) => new()
    {
        Id = m.Id, VerifiedAt = SyntheticHistory.At(at), Passed = passed, FailedCheck = passed ? null : "data:sha256",
        Checks = 8, RestoreTested = restore, RestoreSeconds = restore ? 42.5 : null, ToolVersion = "0.0.0",
    };

    private static BackupStatus Single(SyntheticHistory history, StatusPolicy? policy = null, params VerificationEntry[] checks) =>
        Assert.Single(BackupStatusEvaluator.Evaluate(policy ?? new StatusPolicy(), history.Manifests, checks.ToDictionary(c => c.Id), Now, "file:///r"));

    [Fact]
    public void A_fresh_daily_series_with_a_passed_restore_test_is_healthy_and_reports_its_times()
    {
        var h = new SyntheticHistory();
        h.Add("2026-11-22 02:00", rawBytes: 1000);
        var yesterday = h.Add("2026-11-23 02:00", rawBytes: 1010);
        var today = h.Add("2026-11-24 02:00", rawBytes: 1020);
        var status = Single(h, null, Checked(yesterday, "2026-11-23 03:00", restore: true), Checked(today, "2026-11-24 03:00"));

        Assert.True(status.Healthy, string.Join("; ", status.Warnings));
        Assert.Equal(today.Id, status.LastBackup.Id);
        Assert.Equal(3, status.BackupCount);
        Assert.Equal(TimeSpan.FromHours(10) - TimeSpan.FromMinutes(1), status.Age);
        Assert.Equal(SyntheticHistory.At("2026-11-24 03:00"), status.LastVerified);
        Assert.True(status.LastVerificationPassed);
        Assert.Equal(SyntheticHistory.At("2026-11-23 03:00"), status.LastVerifiedRestore);
        Assert.Equal(TimeSpan.FromHours(33), status.LastVerifiedRestoreAge);
        Assert.Equal(42.5, status.LastRestoreSeconds);
        Assert.True(status.ChainHealthy);
    }

    [Fact]
    public void A_stale_series_warns_with_its_age_and_the_limit()
    {
        var h = new SyntheticHistory();
        h.Add("2026-11-22 02:00");
        var status = Single(h);
        Assert.False(status.Healthy);
        Assert.Equal(["newest backup is 2.4d old (max 26h)"], status.Warnings);

        Assert.True(Single(h, new StatusPolicy(MaxAge: TimeSpan.FromDays(3))).Healthy);
    }

    [Fact]
    public void A_backup_under_half_the_previous_one_of_the_same_kind_warns_but_a_small_incremental_does_not()
    {
        var h = new SyntheticHistory();
        var full = h.Add("2026-11-23 02:00", rawBytes: 10_000);
        h.Add("2026-11-23 14:00", BackupKind.Incremental, full, rawBytes: 50);
        Assert.True(Single(h).Healthy, "an incremental is compared with the previous incremental, not the full");

        h.Add("2026-11-24 02:00", rawBytes: 4_000);
        var status = Single(h);
        Assert.Equal(["newest backup is 40% of the size of the previous full (4000 vs 10000 bytes)"], status.Warnings);
        Assert.True(Single(h, new StatusPolicy(MinSizeRatio: 0.3)).Healthy);
        Assert.True(Single(h, new StatusPolicy(MinSizeRatio: 0)).Healthy);
    }

    [Fact]
    public void The_last_verification_failing_warns_even_when_an_older_one_passed()
    {
        var h = new SyntheticHistory();
        var older = h.Add("2026-11-23 02:00");
        var newest = h.Add("2026-11-24 02:00");
        var status = Single(h, null, Checked(older, "2026-11-23 03:00"), Checked(newest, "2026-11-24 03:00", passed: false));
        Assert.False(status.LastVerificationPassed);
        Assert.Equal([$"last verification ({newest.Id}, 2026-11-24 03:00Z) failed at data:sha256"], status.Warnings);
    }

    [Fact]
    public void MaxVerifyAge_flags_a_series_never_verified_or_verified_too_long_ago()
    {
        var h = new SyntheticHistory();
        var b = h.Add("2026-11-24 02:00");
        var policy = new StatusPolicy(MaxVerifyAge: TimeSpan.FromDays(7));
        Assert.Equal(["never verified"], Single(h, policy).Warnings);
        Assert.Equal(["last passed verification is 9.4d old (max 7d)"], Single(h, policy, Checked(b, "2026-11-15 03:00")).Warnings);
        Assert.True(Single(h, policy, Checked(b, "2026-11-20 03:00")).Healthy);
        Assert.True(Single(h).Healthy, "without MaxVerifyAge an unverified series is not a warning");
    }

    [Fact]
    public void An_incremental_whose_base_is_gone_makes_the_chain_unhealthy()
    {
        var h = new SyntheticHistory();
        var full = h.Add("2026-11-23 02:00");
        h.Add("2026-11-24 02:00", BackupKind.Incremental, full);
        var withoutBase = h.Manifests.Where(m => m.Id != full.Id).ToList();
        var status = Assert.Single(BackupStatusEvaluator.Evaluate(new StatusPolicy(), withoutBase, new Dictionary<string, VerificationEntry>(), Now, "file:///r"));
        Assert.False(status.ChainHealthy);
        Assert.Contains($"the backup it builds on ({full.Id}) is missing", Assert.Single(status.Warnings));
    }

    [Fact]
    public void A_required_target_without_the_newest_backup_warns_naming_the_target()
    {
        var h = new SyntheticHistory();
        var older = h.Add("2026-11-23 02:00");
        var newest = h.Add("2026-11-24 02:00");
        var targets = new Dictionary<string, IReadOnlySet<string>>
        {
            ["s3://dr/main"] = new HashSet<string> { older.Id },
            ["file:///nas/main"] = new HashSet<string> { older.Id, newest.Id },
        };
        var status = Assert.Single(BackupStatusEvaluator.Evaluate(new StatusPolicy(), h.Manifests, new Dictionary<string, VerificationEntry>(), Now, "file:///r", targets));
        Assert.Equal([$"newest backup {newest.Id} has no copy on required target s3://dr/main"], status.Warnings);
    }

    [Fact]
    public void Each_cell_engine_and_source_is_its_own_series()
    {
        var h = new SyntheticHistory();
        h.Add("2026-11-24 02:00", cell: "crm", engine: "postgres", source: "crm_db");
        h.Add("2026-11-24 02:05", cell: "crm", engine: "postgres", source: "billing");
        h.Add("2026-11-20 02:00", cell: "crm", engine: "directory", source: "/srv/crm");
        h.Add("2026-11-24 02:10", cell: "web", engine: "directory", source: "/srv/web");
        var statuses = BackupStatusEvaluator.Evaluate(new StatusPolicy(), h.Manifests, new Dictionary<string, VerificationEntry>(), Now, "file:///r");
        Assert.Equal(["crm/directory//srv/crm", "crm/postgres/billing", "crm/postgres/crm_db", "web/directory//srv/web"],
            statuses.Select(s => $"{s.Cell}/{s.Engine}/{s.Source}"));
        Assert.Equal([false, true, true, true], statuses.Select(s => s.Healthy));
    }

    [Fact]
    public void A_policy_with_nonsense_values_is_refused_naming_the_parameter()
    {
        var e = Assert.Throws<BackupTools.Core.Errors.BackupInputException>(() => new StatusPolicy(MaxAge: TimeSpan.Zero).Validate());
        Assert.Contains("MaxAge", e.Message);
        Assert.Throws<BackupTools.Core.Errors.BackupInputException>(() => new StatusPolicy(MinSizeRatio: 1.5).Validate());
    }
}
