using BackupTools.Core.Engines.Redis.Rdb;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Redis;

[Collection("servers")]
public sealed class RedisBackupTests : RedisTestBase
{
    private static readonly int[] Databases = [0, 3, 7];

    [Fact]
    public void Replication_snapshot_of_every_type_is_recorded_with_exact_key_counts_and_loads_into_another_server()
    {
        InitRepoWithKey(createCell: false);
        var source = NewInstance("source", "s3cret-Pass");
        long seeded;
        using (var connection = source.Connect()) seeded = RedisData.Seed(connection, Databases);
        Assert.True(seeded >= 100_000);

        var result = Run("Backup-RedisRdb -Server 127.0.0.1 -Port $p -Credential $c -Repository $repo -KeyFile $key | Test-BackupIntegrity -KeyFile $key",
            ("p", source.Port), ("c", Password("s3cret-Pass"))).AssertNoErrors();
        var integrity = result.Single<IntegrityResult>();
        Assert.True(integrity.Passed, string.Join("; ", integrity.Checks));
        Assert.Contains(integrity.Checks, c => c.Name == "data:rdb" && c.Detail.Contains("CRC-64") && c.Detail.Contains($"{seeded} keys"));

        var record = Run("Get-Backup -Repository $repo").Single<BackupRecord>();
        Assert.Equal("redis", record.Engine);
        Assert.Equal($"redis-127.0.0.1-{source.Port}", record.Cell);
        Assert.Equal("replication", record.EngineInfo["mode"]);
        Assert.Equal(seeded, (long)record.EngineInfo["keys"]!);
        Assert.StartsWith("7.", (string)record.EngineInfo["serverVersion"]!);
        Assert.True((long)record.EngineInfo["usedMemory"]! > 1_000_000);
        var dbs = ((object?[])record.EngineInfo["databases"]!).Cast<IReadOnlyDictionary<string, object?>>().ToList();
        Assert.Equal(Databases, dbs.Select(d => (int)(long)d["db"]!));
        Assert.All(dbs, d => Assert.Equal(5000L, (long)d["expires"]!));
        Assert.All(Directory.EnumerateFiles(Repo, "*", SearchOption.AllDirectories), f => Assert.DoesNotContain("s3cret-Pass", File.ReadAllText(f)));

        // The snapshot loads into a fresh server and holds the same keys, values and TTLs.
        var copy = NewInstance("copy");
        copy.Kill();
        File.WriteAllBytes(copy.DumpPath, SnapshotBytes(record.Id));
        copy.Start();
        using var a = source.Connect();
        using var b = copy.Connect();
        RedisData.AssertSame(RedisData.Fingerprint(a, Databases), RedisData.Fingerprint(b, Databases));
    }

    [Fact]
    public void Crc64_is_the_jones_variant_redis_uses()
    {
        Assert.Equal(0xe9c6d914c4b8d9caUL, Crc64.Update(0, "123456789"u8));
        var data = new byte[1000];
        new Random(1).NextBytes(data);
        Assert.Equal(Crc64.Update(0, data), Crc64.Update(Crc64.Update(0, data.AsSpan(0, 333)), data.AsSpan(333)));
    }
}
