using StackExchange.Redis;

namespace BackupTools.Tests.Redis;

[Collection("servers")]
public sealed class RedisRestoreTests : RedisTestBase
{
    private BackupRecord BackupOf(RedisInstance instance, int keys)
    {
        using (var connection = instance.Connect())
            connection.GetDatabase(0).StringSet(Enumerable.Range(0, keys).Select(i => new KeyValuePair<RedisKey, RedisValue>($"backed-up:{i}", i)).ToArray());
        return Run("Backup-RedisRdb -Port $p -Repository $repo -KeyFile $key", ("p", instance.Port)).AssertNoErrors().Single<BackupRecord>();
    }

    private static long Keys(RedisInstance instance)
    {
        using var connection = instance.Connect();
        return connection.GetServers()[0].DatabaseSize(0);
    }

    [Fact]
    public void WhatIf_changes_nothing()
    {
        InitRepoWithKey(createCell: false);
        var record = BackupOf(NewInstance("source"), 10);
        var target = NewInstance("target");
        using (var c = target.Connect()) c.GetDatabase(0).StringSet("live", "1");
        var result = Run("Restore-RedisRdb -Id $id -Repository $repo -KeyFile $key -Port $p -WhatIf", ("id", record.Id), ("p", target.Port)).AssertNoErrors();
        Assert.Empty(result.Output);
        Assert.Equal(1, Keys(target));
        Assert.Single(Run("Get-Backup -Repository $repo").Objects<BackupRecord>()); // no safety backup either
    }

    [Fact]
    public void Stop_and_start_script_blocks_replace_the_defaults()
    {
        InitRepoWithKey(createCell: false);
        var record = BackupOf(NewInstance("source"), 25);
        var target = NewInstance("target");
        using (var c = target.Connect()) c.GetServers()[0].Execute("SAVE"); // synchronous; the client marks ForegroundSave obsolete
        File.SetUnixFileMode(target.DumpPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var result = Run("""
            $global:calls = @()
            Restore-RedisRdb -Id $id -Repository $repo -KeyFile $key -Port $p -Confirm:$false `
                -StopScript { $global:calls += 'stop'; redis-cli -p $p shutdown nosave | Out-Null } `
                -StartScript { $global:calls += 'start'; redis-server $conf | Out-Null }
            $global:calls -join ','
            """, ("id", record.Id), ("p", target.Port), ("conf", target.ConfigPath)).AssertNoErrors();
        Assert.Equal(25, result.Single<RedisRestoreResult>().Keys);
        Assert.Equal("stop,start", result.Objects<string>().Single());
        Assert.Equal(25, Keys(target));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(target.DumpPath)); // the old file's mode
    }

    [Fact]
    public void A_start_that_fails_puts_the_previous_data_back_from_the_safety_backup_and_starts_the_server_again()
    {
        InitRepoWithKey(createCell: false);
        var record = BackupOf(NewInstance("source"), 50);
        var target = NewInstance("target");
        // In memory only (save ""): SHUTDOWN NOSAVE loses it, so only the safety backup can bring it back.
        using (var c = target.Connect()) c.GetDatabase(0).StringSet(Enumerable.Range(0, 7).Select(i => new KeyValuePair<RedisKey, RedisValue>($"live:{i}", i)).ToArray());
        var result = Run("""
            $global:starts = 0
            Restore-RedisRdb -Id $id -Repository $repo -KeyFile $key -Port $p -Confirm:$false `
                -StartScript { $global:starts++; if ($global:starts -eq 1) { throw 'the container did not start' }; redis-server $conf | Out-Null }
            """, ("id", record.Id), ("p", target.Port), ("conf", target.ConfigPath));
        var error = result.AssertError("RedisRestoreFailed");
        Assert.Contains("the container did not start", error.Exception.Message);
        Assert.Contains(result.Warnings, w => w.Contains("putting the previous data"));
        Assert.Equal(7, Keys(target));
        using (var c = target.Connect()) Assert.Equal("3", (string?)c.GetDatabase(0).StringGet("live:3"));
        Assert.Equal(["dump.rdb"], Directory.GetFiles(target.Folder, "dump.rdb*").Select(Path.GetFileName));
    }

    [Fact]
    public void A_file_swap_into_a_server_with_appendonly_on_or_a_backup_of_another_engine_is_refused_before_anything_changes()
    {
        InitRepoWithKey(createCell: false);
        var record = BackupOf(NewInstance("source"), 5);
        var target = NewInstance("target", extraConfig: "appendonly yes");
        Run("Restore-RedisRdb -Id $id -Repository $repo -KeyFile $key -Port $p -Method FileSwap -Confirm:$false", ("id", record.Id), ("p", target.Port)).AssertError("RedisRestoreAofEnabled");
        Assert.Single(Run("Get-Backup -Repository $repo").Objects<BackupRecord>());

        SampleCell();
        var cellRecord = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key").AssertNoErrors().Single<BackupRecord>();
        Run("Restore-RedisRdb -Id $id -Repository $repo -KeyFile $key -Port $p -Confirm:$false", ("id", cellRecord.Id), ("p", target.Port)).AssertError("RestoreWrongEngine");
    }

    private void SampleCell() => Infrastructure.SampleTree.Create(Cell);
}
