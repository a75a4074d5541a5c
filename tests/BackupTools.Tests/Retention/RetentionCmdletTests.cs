using System.Text.Json;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Retention;

/// <summary>Invoke-BackupRetention and Remove-Backup end to end, on real cell backups through the real engine.</summary>
public sealed class RetentionCmdletTests : CellTestBase
{
    private string BackupFolder(string id) => Path.Combine(Repo, "backups", id);
    private string VerificationFile(string id) => Path.Combine(Repo, "verifications", id + ".json");

    private BackupRecord Change(string type)
    {
        File.WriteAllText(Path.Combine(Cell, $"change-{Guid.NewGuid():N}.txt"), "changed\n");
        return Backup(type);
    }

    private string[] ListedIds() =>
        Run("Get-Backup -Repository $repo").AssertNoErrors().Objects<BackupRecord>().Select(r => r.Id).ToArray();

    private static string[] Ids(params BackupRecord[] records) => records.Select(r => r.Id).ToArray();

    [Fact]
    public void WhatIf_reports_the_decisions_and_deletes_nothing()
    {
        InitRepoWithKey();
        var full = Backup();
        var inc = Change("Incremental");
        var full2 = Backup();

        var decisions = Run("Invoke-BackupRetention -Repository $repo -KeepLast 1 -WhatIf").AssertNoErrors().Objects<RetentionDecision>().ToList();

        Assert.Equal(Ids(full, inc, full2), decisions.Select(d => d.Id));
        Assert.Equal([false, false, true], decisions.Select(d => d.Keep));
        Assert.All(decisions, d => Assert.False(d.Deleted));
        Assert.Equal(["last 1", "newest backup of cell"], decisions[2].Reasons);
        Assert.Equal(Ids(full, inc, full2), ListedIds());
        Assert.True(File.Exists(Path.Combine(BackupFolder(full.Id), "data")));
    }

    [Fact]
    public void Run_deletes_exactly_the_backups_no_rule_keeps_and_the_rest_still_verify_and_restore()
    {
        InitRepoWithKey();
        var f1 = Backup();
        var i1 = Change("Incremental");
        var i2 = Change("Incremental");
        var f2 = Backup();
        var i3 = Change("Incremental");
        var snapshot = Temp.Sub("snap-i3");
        CopyTree(Cell, snapshot);
        Assert.True(Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", i1.Id)).AssertNoErrors().Single<IntegrityResult>().Passed);

        // KeepLast 1 keeps i3 (and f2 it builds on); i1 is the newest verified backup (and f1 its base): only i2 goes.
        var decisions = Run("Invoke-BackupRetention -Repository $repo -KeepLast 1 -Confirm:$false").AssertNoErrors().Objects<RetentionDecision>().ToList();

        Assert.Equal(Ids(i2), decisions.Where(d => d.Deleted).Select(d => d.Id));
        Assert.Equal(["newest verified backup"], decisions.Single(d => d.Id == i1.Id).Reasons);
        Assert.Equal([$"base of kept incremental {i3.Id}"], decisions.Single(d => d.Id == f2.Id).Reasons);
        Assert.False(Directory.Exists(BackupFolder(i2.Id)));
        Assert.Equal(Ids(f1, i1, f2, i3), ListedIds());
        var checks = Run("Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $key").AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(4, checks.Count(c => c.Passed));
        var dest = Temp.Sub("restored");
        Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", ("id", i3.Id), ("dest", dest)).AssertNoErrors();
        TreeSnapshot.AssertSame(snapshot, dest);

        // Now i3 is the newest verified backup, so i1 and the full it needs are no longer protected.
        var second = Run("Invoke-BackupRetention $repo -KeepLast 1 -Confirm:$false").AssertNoErrors().Objects<RetentionDecision>().ToList();
        Assert.Equal(Ids(f1, i1), second.Where(d => d.Deleted).Select(d => d.Id));
        Assert.Equal(Ids(f2, i3), ListedIds());
        Assert.False(Directory.Exists(BackupFolder(f1.Id)));
        Assert.False(File.Exists(VerificationFile(i1.Id)));
        Assert.True(File.Exists(VerificationFile(i3.Id)));
    }

    [Fact]
    public void Pruned_decisions_pipe_into_Remove_Backup_and_other_cells_are_left_alone()
    {
        InitRepoWithKey();
        var crm = new[] { Backup(), Backup(), Backup() };
        var other = Temp.Sub("cells/other");
        SampleTree.Create(other);
        var otherBackup = Run("Backup-Cell -Name other -Path $other -Repository $repo -KeyFile $key", ("other", other)).AssertNoErrors().Single<BackupRecord>();

        var decisions = Run("Invoke-BackupRetention -Repository $repo -Cell crm -KeepLast 2 -WhatIf").AssertNoErrors().Objects<RetentionDecision>().ToList();
        Assert.Equal(Ids(crm), decisions.Select(d => d.Id));

        Run("Invoke-BackupRetention -Repository $repo -Cell crm -KeepLast 2 -WhatIf | Where-Object { -not $_.Keep } | Remove-Backup -Confirm:$false").AssertNoErrors();
        Assert.Equal(new[] { crm[1].Id, crm[2].Id, otherBackup.Id }.Order(StringComparer.Ordinal), ListedIds().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void KeepWithin_takes_short_durations_and_an_empty_policy_is_refused()
    {
        InitRepoWithKey();
        Backup();
        var within = Run("Invoke-BackupRetention -Repository $repo -KeepWithin '14d' -WhatIf").AssertNoErrors().Single<RetentionDecision>();
        Assert.Contains("within 14.00:00:00", within.Reasons);
        Run("Invoke-BackupRetention -Repository $repo -KeepWithin '30m' -WhatIf").AssertNoErrors(); // m is minutes (issue 23)
        Run("Invoke-BackupRetention -Repository $repo -KeepWithin '3mo' -WhatIf").AssertError("ParameterArgumentTransformationError");
        var empty = Run("Invoke-BackupRetention -Repository $repo -Confirm:$false").AssertError("RetentionPolicyEmpty");
        Assert.Contains("-KeepDaily", empty.Exception.Message);
        Assert.Single(ListedIds());
    }

    [Fact]
    public void Remove_Backup_refuses_a_full_an_incremental_needs_and_Force_deletes_it()
    {
        InitRepoWithKey();
        var full = Backup();
        var inc = Change("Incremental");

        var refused = Run("Remove-Backup -Id $id -Repository $repo -Confirm:$false", ("id", full.Id)).AssertError("BackupHasDependents");
        Assert.Contains(inc.Id, refused.Exception.Message);
        Run("Remove-Backup -Id $id -Repository $repo -Force -WhatIf", ("id", full.Id)).AssertNoErrors();
        Assert.Equal(Ids(full, inc), ListedIds());

        var forced = Run("Remove-Backup -Id $id -Repository $repo -Force -Confirm:$false", ("id", full.Id)).AssertNoErrors();
        Assert.Contains(forced.Warnings, w => w.Contains(inc.Id, StringComparison.Ordinal));
        Assert.Equal(Ids(inc), ListedIds());
        Assert.False(Directory.Exists(BackupFolder(full.Id)));
        var check = Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", inc.Id)).Single<IntegrityResult>();
        Assert.Equal("chain", check.FailedCheck);
    }

    [Fact]
    public void Remove_Backup_takes_a_whole_piped_chain_children_first()
    {
        InitRepoWithKey();
        Backup();
        Change("Incremental");
        Change("Differential");
        Change("Incremental");
        Run("Get-Backup -Repository $repo | Remove-Backup -Confirm:$false").AssertNoErrors();
        Assert.Empty(ListedIds());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Repo, "backups")));
        Run("Remove-Backup -Id 20260101T000000Z-crm-directory-abcdef -Repository $repo -Confirm:$false").AssertError("BackupNotFound");
    }

    [Fact]
    public void A_verification_is_recorded_privately_and_a_later_failure_withdraws_the_passed_standing()
    {
        InitRepoWithKey();
        var good = Backup();
        var bad = Backup();
        Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", good.Id)).AssertNoErrors();
        var record = JsonDocument.Parse(File.ReadAllText(VerificationFile(good.Id))).RootElement;
        Assert.Equal(good.Id, record.GetProperty("id").GetString());
        Assert.True(record.GetProperty("checks").GetInt32() > 3);
        Assert.False(string.IsNullOrEmpty(record.GetProperty("toolVersion").GetString()));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(VerificationFile(good.Id)));

        Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", bad.Id)).AssertNoErrors();
        Assert.True(File.Exists(VerificationFile(bad.Id)));
        using (var data = File.OpenWrite(Path.Combine(BackupFolder(bad.Id), "data"))) { data.Position = 100; data.WriteByte(0x42); data.WriteByte(0x17); }
        Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", bad.Id)).AssertError("BackupIntegrityCheckFailed");
        var failed = JsonDocument.Parse(File.ReadAllText(VerificationFile(bad.Id))).RootElement;
        Assert.False(failed.GetProperty("passed").GetBoolean());
        Assert.StartsWith("data:", failed.GetProperty("failedCheck").GetString());
        Assert.True(record.GetProperty("passed").GetBoolean());
        // The failed backup no longer counts as verified: the older good one is now the newest verified.
        var decisions = Run("Invoke-BackupRetention -Repository $repo -KeepLast 1 -WhatIf").AssertNoErrors().Objects<RetentionDecision>().ToList();
        Assert.Equal(["newest verified backup"], decisions.Single(d => d.Id == good.Id).Reasons);
    }
}
