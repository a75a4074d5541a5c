using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Cells;

public sealed class CellRestoreInPlaceTests : CellTestBase
{
    [Fact]
    public void In_place_restore_takes_a_safety_backup_first_and_swaps_the_tree()
    {
        InitRepoWithKey();
        var snap = Temp.Sub("snap");
        CopyTree(Cell, snap);
        var record = Backup();
        File.WriteAllText(Path.Combine(Cell, "conf", "app.yaml"), "broken: true\n");
        File.WriteAllText(Path.Combine(Cell, "junk.tmp"), "junk\n");
        var liveBefore = Temp.Sub("live-before");
        CopyTree(Cell, liveBefore);

        var result = Run("Restore-Cell -Name crm -Repository $repo -KeyFile $key -Confirm:$false").AssertNoErrors().Single<RestoreResult>();
        Assert.True(result.ReplacedExistingData);
        Assert.False(result.SafetyBackupSkipped);
        Assert.NotNull(result.SafetyBackupId);
        Assert.Equal(record.Id, result.RestoredId);
        TreeSnapshot.AssertSame(snap, Cell);

        // The safety backup holds the data that was replaced, and can itself be restored.
        var safety = Run("Get-Backup -Repository $repo -Id $id", ("id", result.SafetyBackupId)).AssertNoErrors().Single<BackupRecord>();
        Assert.Equal("safety-before-restore", safety.Tags["reason"]);
        var back = Temp.Sub("from-safety");
        Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", ("id", safety.Id), ("dest", back)).AssertNoErrors();
        TreeSnapshot.AssertSame(liveBefore, back);
    }

    [Fact]
    public void Skipping_the_safety_backup_is_recorded_in_the_result()
    {
        InitRepoWithKey();
        Backup();
        File.WriteAllText(Path.Combine(Cell, "junk.tmp"), "junk\n");
        var result = Run("Restore-Cell -Name crm -Repository $repo -KeyFile $key -SkipSafetyBackup -Confirm:$false").AssertNoErrors();
        var restore = result.Single<RestoreResult>();
        Assert.True(restore.SafetyBackupSkipped);
        Assert.Null(restore.SafetyBackupId);
        Assert.Single(Run("Get-Backup -Repository $repo").AssertNoErrors().Output);
        Assert.False(File.Exists(Path.Combine(Cell, "junk.tmp")));
    }

    [Fact]
    public void WhatIf_changes_nothing()
    {
        InitRepoWithKey();
        Backup();
        File.WriteAllText(Path.Combine(Cell, "junk.tmp"), "junk\n");
        var before = TreeSnapshot.Take(Cell);
        var result = Run("Restore-Cell -Name crm -Repository $repo -KeyFile $key -WhatIf").AssertNoErrors();
        Assert.Empty(result.Objects<RestoreResult>());
        Assert.Equal(before, TreeSnapshot.Take(Cell));
        Assert.Single(Run("Get-Backup -Repository $repo").AssertNoErrors().Output);
    }

    [Fact]
    public void Script_block_hook_runs_after_the_restore_with_the_result()
    {
        InitRepoWithKey();
        Backup();
        var marker = Temp.Sub("hook-ran.txt");
        var result = Run("Restore-Cell -Name crm -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false -RestoreHook { [IO.File]::WriteAllText($marker, $_.Destination) }",
            ("dest", Temp.Sub("r")), ("marker", marker)).AssertNoErrors().Single<RestoreResult>();
        Assert.True(result.HookSucceeded);
        Assert.Equal(Temp.Sub("r"), File.ReadAllText(marker));
    }

    [Fact]
    public void Failing_hook_is_reported_not_swallowed_and_the_data_stays_restored()
    {
        InitRepoWithKey();
        Backup();
        var result = Run("Restore-Cell -Name crm -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false -RestoreHook { throw 'service did not start' }",
            ("dest", Temp.Sub("r")));
        result.AssertError("RestoreHookFailed");
        var restore = result.Single<RestoreResult>();
        Assert.False(restore.HookSucceeded);
        Assert.Equal("RestoredHookFailed", restore.Status);
        TreeSnapshot.AssertSame(Cell, Temp.Sub("r"));
    }

    [Fact]
    public void Executable_hook_gets_the_restore_facts_in_its_environment()
    {
        InitRepoWithKey();
        Backup();
        var hook = Temp.Sub("hook.sh");
        var marker = Temp.Sub("env.txt");
        File.WriteAllText(hook, $"#!/bin/sh\necho \"$BACKUPTOOLS_CELL $RESTORE_DATE\" > '{marker}'\nexit 0\n");
        File.SetUnixFileMode(hook, (UnixFileMode)Convert.ToInt32("700", 8));
        var restore = Run("Restore-Cell -Name crm -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false -RestoreHook $hook",
            ("dest", Temp.Sub("r")), ("hook", hook)).AssertNoErrors().Single<RestoreResult>();
        Assert.True(restore.HookSucceeded);
        Assert.StartsWith("crm 20", File.ReadAllText(marker));

        File.WriteAllText(hook, "#!/bin/sh\necho nope >&2\nexit 7\n");
        var failed = Run("Restore-Cell -Name crm -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false -RestoreHook $hook",
            ("dest", Temp.Sub("r2")), ("hook", hook));
        Assert.Contains("exit code 7", failed.AssertError("RestoreHookFailed").Exception.Message);
    }
}
