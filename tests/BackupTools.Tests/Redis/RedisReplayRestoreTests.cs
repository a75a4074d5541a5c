using BackupTools.Core.Engines.Redis;
using StackExchange.Redis;

namespace BackupTools.Tests.Redis;

/// <summary>
/// Restore-RedisRdb into a server whose files this machine cannot swap (issue 22): every key replayed over the
/// network from a scratch server, exactly (types, values, TTLs, several databases), after a safety backup.
/// </summary>
[Collection("servers")]
public sealed class RedisReplayRestoreTests : RedisTestBase
{
    private static readonly int[] Databases = [0, 3];

    [Fact]
    public void A_server_started_without_a_config_file_is_restored_exactly_over_the_network_after_a_safety_backup()
    {
        InitRepoWithKey(createCell: false);
        var source = NewInstance("source");
        using (var c = source.Connect()) RedisData.Seed(c, Databases);
        SortedDictionary<string, (string Value, double? Ttl)> expected;
        using (var c = source.Connect()) expected = RedisData.Fingerprint(c, Databases);
        var record = Run("Backup-RedisRdb -Port $p -Repository $repo -KeyFile $key", ("p", source.Port)).AssertNoErrors().Single<BackupRecord>();

        // The target: no config file (so it cannot be restarted from here) and live data of its own.
        var target = NewInstance("target", withoutConfigFile: true);
        using (var c = target.Connect())
        {
            c.GetDatabase(0).StringSet("live:only", "before");
            c.GetDatabase(5).StringSet("other-db", "gone after the restore");
        }

        var result = Run("Restore-RedisRdb -Id $id -Repository $repo -KeyFile $key -Port $p -Confirm:$false -Verbose 4>&1", ("id", record.Id), ("p", target.Port));
        var restored = result.AssertNoErrors().Single<RedisRestoreResult>();
        Assert.Equal(RedisRestoreMethod.Replay, restored.Method);
        Assert.Contains(result.Objects<System.Management.Automation.VerboseRecord>(), v => v.Message.Contains("over the network") && v.Message.Contains("config file"));
        using (var c = target.Connect())
        {
            RedisData.AssertSame(expected, RedisData.Fingerprint(c, Databases));
            Assert.False(c.GetDatabase(0).KeyExists("live:only"));
            Assert.Equal(0, c.GetServers()[0].DatabaseSize(5));
        }
        Assert.Equal(expected.Count, restored.Keys);

        // The safety backup holds what the target had, and restores it the same way.
        Assert.NotNull(restored.SafetyBackupId);
        Run("Restore-RedisRdb -Id $id -Repository $repo -KeyFile $key -Port $p -Confirm:$false -SkipSafetyBackup", ("id", restored.SafetyBackupId), ("p", target.Port)).AssertNoErrors();
        using (var c = target.Connect())
        {
            Assert.Equal("before", (string?)c.GetDatabase(0).StringGet("live:only"));
            Assert.Equal("gone after the restore", (string?)c.GetDatabase(5).StringGet("other-db"));
            Assert.Equal(2, c.GetServers()[0].DatabaseSize(0) + c.GetServers()[0].DatabaseSize(5));
        }
    }

    [Fact]
    public void With_appendonly_on_the_default_method_replays_and_the_keys_survive_a_restart_from_the_aof()
    {
        InitRepoWithKey(createCell: false);
        var source = NewInstance("source");
        using (var c = source.Connect()) c.GetDatabase(0).StringSet(Enumerable.Range(0, 300).Select(i => new KeyValuePair<RedisKey, RedisValue>($"k:{i}", $"v{i}")).ToArray());
        var record = Run("Backup-RedisRdb -Port $p -Repository $repo -KeyFile $key", ("p", source.Port)).AssertNoErrors().Single<BackupRecord>();
        var target = NewInstance("target", extraConfig: "appendonly yes");

        var restored = Run("Restore-RedisRdb -Id $id -Repository $repo -KeyFile $key -Port $p -Confirm:$false", ("id", record.Id), ("p", target.Port))
            .AssertNoErrors().Single<RedisRestoreResult>();
        Assert.Equal((RedisRestoreMethod.Replay, 300L), (restored.Method, restored.Keys));
        target.Kill();
        target.Start(); // loads its AOF: the replayed writes went through it
        using var c2 = target.Connect();
        Assert.Equal(300, c2.GetServers()[0].DatabaseSize(0));
        Assert.Equal("v42", (string?)c2.GetDatabase(0).StringGet("k:42"));
    }

    [Fact]
    public void A_damaged_backup_never_touches_the_target()
    {
        InitRepoWithKey(createCell: false);
        var source = NewInstance("source");
        using (var c = source.Connect()) c.GetDatabase(0).StringSet(Enumerable.Range(0, 2000).Select(i => new KeyValuePair<RedisKey, RedisValue>($"k:{i}", new string('x', 100) + i)).ToArray());
        var record = Run("Backup-RedisRdb -Port $p -Repository $repo -KeyFile $key", ("p", source.Port)).AssertNoErrors().Single<BackupRecord>();
        var data = Directory.GetFiles(Path.Combine(Repo, "backups", record.Id)).Single(f => !f.EndsWith("manifest.json"));
        var bytes = File.ReadAllBytes(data);
        bytes[bytes.Length / 2] ^= 0x5a;
        File.WriteAllBytes(data, bytes);
        var target = NewInstance("target", withoutConfigFile: true);
        using (var c = target.Connect()) c.GetDatabase(0).StringSet("live", "kept");

        var failed = Run("Restore-RedisRdb -Id $id -Repository $repo -KeyFile $key -Port $p -Confirm:$false", ("id", record.Id), ("p", target.Port));
        Assert.Contains(record.Id, Assert.Single(failed.Errors).Exception.Message);
        using var after = target.Connect();
        Assert.Equal("kept", (string?)after.GetDatabase(0).StringGet("live"));
        Assert.Equal(1, after.GetServers()[0].DatabaseSize(0));
    }
}
