using BackupTools.Core.Engines.Directory.Tar;
using StackExchange.Redis;

namespace BackupTools.Tests.Redis;

[Collection("servers")]
public sealed class RedisAofTests : RedisTestBase
{
    [Fact]
    public void Multi_part_aof_set_is_backed_up_whole_and_a_server_started_on_it_has_the_same_data()
    {
        InitRepoWithKey(createCell: false);
        var source = NewInstance("source", extraConfig: "appendonly yes\nappendfsync always");
        using (var connection = source.Connect())
        {
            RedisData.Seed(connection, [0, 2], scale: 1);
            connection.GetServers()[0].Execute("BGREWRITEAOF"); // a base file …
            WaitForRewrite(connection);
            connection.GetDatabase(0).StringSet("after-rewrite", "in the incr file"); // … and an incremental one on top
            connection.GetDatabase(2).KeyDelete("s:1");
        }
        var result = Run("Backup-RedisAof -Port $p -Repository $repo -KeyFile $key | Test-BackupIntegrity -KeyFile $key", ("p", source.Port)).AssertNoErrors();
        var integrity = result.Single<IntegrityResult>();
        Assert.True(integrity.Passed, string.Join("; ", integrity.Checks));
        Assert.Contains(integrity.Checks, c => c.Name == "data:aof-set" && c.Detail.Contains("base 72014 keys"));
        var record = Run("Get-Backup -Repository $repo").Single<BackupRecord>();
        Assert.Equal("redis-aof", record.Engine);
        Assert.Equal("multi-part", record.EngineInfo["format"]);

        // Unpack the set into another server's AOF directory and start it: same keys and values.
        var copy = NewInstance("copy", extraConfig: "appendonly yes");
        copy.Kill();
        var aofDir = Path.Combine(copy.Folder, "appendonlydir");
        Directory.Delete(aofDir, true);
        Directory.CreateDirectory(aofDir);
        var reader = new TarReader(new MemoryStream(SnapshotBytes(record.Id)));
        while (reader.Next() is { } entry) entry.ExtractTo(Path.Combine(aofDir, entry.Header.Path));
        copy.Start();
        using var a = source.Connect();
        using var b = copy.Connect();
        Assert.Equal("in the incr file", (string?)b.GetDatabase(0).StringGet("after-rewrite"));
        RedisData.AssertSame(RedisData.Fingerprint(a, [0, 2]), RedisData.Fingerprint(b, [0, 2]));
    }

    [Fact]
    public void A_server_without_aof_is_refused()
    {
        InitRepoWithKey(createCell: false);
        var source = NewInstance("source");
        Run("Backup-RedisAof -Port $p -Repository $repo -KeyFile $key", ("p", source.Port)).AssertError("RedisAofDisabled");
    }

    private static void WaitForRewrite(ConnectionMultiplexer connection)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (connection.GetServers()[0].InfoRaw("persistence")!.Contains("aof_rewrite_in_progress:1") || connection.GetServers()[0].InfoRaw("persistence")!.Contains("aof_rewrite_scheduled:1"))
        {
            Assert.True(DateTime.UtcNow < deadline, "AOF rewrite did not finish");
            Thread.Sleep(50);
        }
    }
}
