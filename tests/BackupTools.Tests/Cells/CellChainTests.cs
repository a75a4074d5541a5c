using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Cells;

public sealed class CellChainTests : CellTestBase
{
    private string Snapshot(string name)
    {
        var copy = Temp.Sub("snap-" + name);
        CopyTree(Cell, copy);
        return copy;
    }

    private void RestoreAndCompare(string id, string expected)
    {
        var dest = Temp.Sub("restore-" + Guid.NewGuid().ToString("N")[..6]);
        var result = Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", ("id", id), ("dest", dest)).AssertNoErrors().Single<RestoreResult>();
        Assert.Equal(id, result.RestoredId);
        TreeSnapshot.AssertSame(expected, dest);
    }

    [Fact]
    public void Incremental_chain_restores_every_point_exactly_including_deletions()
    {
        InitRepoWithKey();
        var full = Backup();
        var snapFull = Snapshot("full");

        File.WriteAllText(Path.Combine(Cell, "conf", "app.yaml"), "port: 9090\n");
        File.Delete(Path.Combine(Cell, "README.txt"));
        File.WriteAllText(Path.Combine(Cell, "new-file.txt"), "added after full\n");
        Directory.Delete(Path.Combine(Cell, "empty"), recursive: true);
        var inc1 = Backup("Incremental");
        var snapInc1 = Snapshot("inc1");
        Assert.Equal(full.Id, inc1.ParentId);
        Assert.True(inc1.RawBytes < full.RawBytes / 10, "an incremental must store only what changed");

        File.Delete(Path.Combine(Cell, "link-relative"));
        File.WriteAllText(Path.Combine(Cell, "link-relative"), "now a plain file\n");
        File.Delete(Path.Combine(Cell, "new-file.txt"));
        Directory.CreateDirectory(Path.Combine(Cell, "README.txt"));
        var inc2 = Backup("Incremental");
        var snapInc2 = Snapshot("inc2");
        Assert.Equal(inc1.Id, inc2.ParentId);

        RestoreAndCompare(full.Id, snapFull);
        RestoreAndCompare(inc1.Id, snapInc1);
        RestoreAndCompare(inc2.Id, snapInc2);
    }

    [Fact]
    public void Differential_is_based_on_the_last_full()
    {
        InitRepoWithKey();
        var full = Backup();
        File.WriteAllText(Path.Combine(Cell, "a.txt"), "one\n");
        var diff1 = Backup("Differential");
        File.WriteAllText(Path.Combine(Cell, "b.txt"), "two\n");
        var diff2 = Backup("Differential");
        var snap = Snapshot("diff2");
        Assert.Equal(full.Id, diff1.ParentId);
        Assert.Equal(full.Id, diff2.ParentId);
        var restore = Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", ("id", diff2.Id), ("dest", Temp.Sub("r"))).AssertNoErrors().Single<RestoreResult>();
        Assert.Equal(new[] { full.Id, diff2.Id }, restore.Chain);
        TreeSnapshot.AssertSame(snap, Temp.Sub("r"));
    }

    [Fact]
    public void Incremental_without_an_earlier_backup_becomes_full_with_a_warning()
    {
        InitRepoWithKey();
        var result = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key -Type Incremental").AssertNoErrors();
        Assert.Equal(BackupKind.Full, result.Single<BackupRecord>().Kind);
        Assert.Contains(result.Warnings, w => w.Contains("Full", StringComparison.Ordinal));
    }

    [Fact]
    public void Restore_at_a_time_picks_the_newest_backup_completed_before_it()
    {
        InitRepoWithKey();
        var first = Backup();
        var snapFirst = Snapshot("first");
        Thread.Sleep(1100);
        File.WriteAllText(Path.Combine(Cell, "later.txt"), "later\n");
        Backup("Incremental");
        var dest = Temp.Sub("at");
        var result = Run("Restore-Cell -Name crm -At $at -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false",
            ("at", first.CompletedAt.AddMilliseconds(500)), ("dest", dest)).AssertNoErrors().Single<RestoreResult>();
        Assert.Equal(first.Id, result.RestoredId);
        TreeSnapshot.AssertSame(snapFirst, dest);
    }

    [Fact]
    public void Incremental_whose_parent_is_gone_reports_a_broken_chain()
    {
        InitRepoWithKey();
        var full = Backup();
        File.WriteAllText(Path.Combine(Cell, "x.txt"), "x\n");
        var inc = Backup("Incremental");
        File.Delete(Path.Combine(Repo, "backups", full.Id, "manifest.json"));
        Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", ("id", inc.Id), ("dest", Temp.Sub("r"))).AssertError("BackupChainBroken");
        var check = Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", inc.Id)).Single<IntegrityResult>();
        Assert.Equal("chain", check.FailedCheck);
        Assert.False(Directory.Exists(Temp.Sub("r")));
    }
}
