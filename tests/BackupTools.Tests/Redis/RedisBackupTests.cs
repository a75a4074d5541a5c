using BackupTools.Core.Engines.Redis.Rdb;
using StackExchange.Redis;

namespace BackupTools.Tests.Redis;

[Collection("servers")]
public sealed class RedisBackupTests : RedisTestBase
{
    private static readonly int[] Databases = [0, 3, 7];

    [Fact]
    public void Every_type_round_trips_through_backup_and_restore_onto_another_server_with_values_and_ttls()
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

        // Restore onto another server that holds other data: it ends up with exactly the source's keys, values and TTLs.
        var copy = NewInstance("copy", "other-Pass");
        using (var c = copy.Connect()) c.GetDatabase(1).StringSet("old-only", "x");
        var restored = Run("Restore-RedisRdb -Id $id -Repository $repo -KeyFile $key -Server 127.0.0.1 -Port $p -Credential $c -Confirm:$false",
            ("id", record.Id), ("p", copy.Port), ("c", Password("other-Pass"))).AssertNoErrors().Single<RedisRestoreResult>();
        Assert.Equal(seeded, restored.Keys);
        Assert.Equal(3, restored.Databases);
        Assert.Equal(copy.DumpPath, restored.RdbPath);
        var safety = Run("Get-Backup -Repository $repo -Id $id", ("id", restored.SafetyBackupId)).Single<BackupRecord>();
        Assert.Equal("safety-before-restore", safety.Tags["reason"]);
        Assert.Equal(1L, (long)safety.EngineInfo["keys"]!);
        Assert.False(File.Exists(copy.DumpPath + ".bt-previous"));
        using var a = source.Connect();
        using var b = copy.Connect();
        Assert.False(b.GetDatabase(1).KeyExists("old-only"));
        RedisData.AssertSame(RedisData.Fingerprint(a, Databases), RedisData.Fingerprint(b, Databases));
    }

    [Fact]
    public void Restore_test_loads_the_snapshot_into_a_throwaway_server_and_matches_the_key_counts()
    {
        InitRepoWithKey(createCell: false);
        var source = NewInstance("source");
        using (var connection = source.Connect()) RedisData.Seed(connection, [0, 2], scale: 1);
        var result = Run("Backup-RedisRdb -Port $p -Repository $repo -KeyFile $key | Test-BackupIntegrity -KeyFile $key -RestoreTest", ("p", source.Port))
            .AssertNoErrors().Single<IntegrityResult>();
        Assert.True(result.Passed, string.Join("; ", result.Checks));
        var check = Assert.Single(result.Checks, c => c.Name == "restore-test");
        Assert.Matches(@"loaded \d+ keys in 2 database\(s\) in [\d.]+ s; key counts match the manifest", check.Detail);
        Assert.NotNull(result.RestoreDuration);
        Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), "bt-redis-test-*"));
    }

    [Theory]
    [InlineData("repl-diskless-sync no", "disk")]
    [InlineData("repl-diskless-sync yes", "diskless")]
    public void Both_sync_forms_are_read_to_their_exact_end(string config, string transfer)
    {
        InitRepoWithKey(createCell: false);
        var source = NewInstance("source", extraConfig: config);
        using (var connection = source.Connect()) RedisData.Seed(connection, [1], scale: 1);
        var result = Run("Backup-RedisRdb -Port $p -Repository $repo -KeyFile $key | Test-BackupIntegrity -KeyFile $key", ("p", source.Port)).AssertNoErrors().Single<IntegrityResult>();
        Assert.True(result.Passed, string.Join("; ", result.Checks));
        Assert.Equal(transfer, result.Record!.EngineInfo["transfer"]);
        Assert.Equal(36007L, (long)result.Record.EngineInfo["keys"]!);
        Assert.Equal(result.Record.RawBytes, (long)result.Record.EngineInfo["rdbBytes"]!);
    }

    [Fact]
    public void Local_file_mode_saves_waits_and_streams_the_dump_file()
    {
        InitRepoWithKey(createCell: false);
        var source = NewInstance("source");
        using (var connection = source.Connect()) connection.GetDatabase(0).StringSet(Enumerable.Range(0, 1000).Select(i => new KeyValuePair<RedisKey, RedisValue>($"k{i}", i)).ToArray());
        Assert.False(File.Exists(source.DumpPath));
        var record = Run("Backup-RedisRdb -Mode LocalFile -Port $p -Repository $repo -KeyFile $key", ("p", source.Port)).AssertNoErrors().Single<BackupRecord>();
        Assert.Equal("local-file", record.EngineInfo["mode"]);
        Assert.Equal(source.DumpPath, record.EngineInfo["rdbPath"]);
        Assert.Equal(1000L, (long)record.EngineInfo["keys"]!);
        Assert.Equal(File.ReadAllBytes(source.DumpPath), SnapshotBytes(record.Id));

        Run("Backup-RedisRdb -Mode LocalFile -Port $p -Repository $repo -KeyFile $key -RdbPath $f", ("p", source.Port), ("f", Temp.Sub("nowhere/dump.rdb")))
            .AssertError("RedisRdbFileNotFound");
    }

    [Fact]
    public void Local_file_mode_reports_a_save_that_takes_too_long_or_fails()
    {
        InitRepoWithKey(createCell: false);
        var source = NewInstance("source");
        using var connection = source.Connect();
        connection.GetDatabase(0).StringSet(Enumerable.Range(0, 200).Select(i => new KeyValuePair<RedisKey, RedisValue>($"k{i}", i)).ToArray());
        connection.GetServers()[0].ConfigSet("rdb-key-save-delay", 100_000); // 0.1 s per key: the save takes 20 s
        var slow = Run("Backup-RedisRdb -Mode LocalFile -SaveTimeoutSec 1 -Port $p -Repository $repo -KeyFile $key", ("p", source.Port)).AssertError("RedisSaveTimeout");
        Assert.NotNull(slow.ErrorDetails);
        Assert.Contains("-SaveTimeoutSec", slow.ErrorDetails.RecommendedAction);
        using (var first = System.Diagnostics.Process.GetProcessById(WaitForSaveChild(source))) { first.Kill(); first.WaitForExit(); }
        while (connection.GetServers()[0].InfoRaw("persistence")!.Contains("rdb_bgsave_in_progress:1")) Thread.Sleep(20);

        // The save child dies: the server records the failure, and so must we.
        var failing = Ps.Create("Backup-RedisRdb -Mode LocalFile -Port $p -Repository $repo -KeyFile $key");
        failing.Runspace.SessionStateProxy.SetVariable("p", source.Port);
        failing.Runspace.SessionStateProxy.SetVariable("repo", Repo);
        failing.Runspace.SessionStateProxy.SetVariable("key", KeyPath);
        var run = failing.BeginInvoke();
        var child = WaitForSaveChild(source);
        Thread.Sleep(500); // let the cmdlet's 100 ms poll see the save running
        using (var process = System.Diagnostics.Process.GetProcessById(child)) process.Kill();
        failing.EndInvoke(run);
        Assert.Contains("RedisSaveFailed", failing.Streams.Error.Select(e => e.FullyQualifiedErrorId.Split(',')[0]));
        Assert.Empty(Run("Get-Backup -Repository $repo").Output);
    }

    /// <summary>The pid of the instance's forked save child (waits until a new BGSAVE forked one).</summary>
    private static int WaitForSaveChild(RedisInstance instance)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var task in Directory.GetDirectories($"/proc/{instance.Pid}/task"))
            {
                var children = File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (children.Length > 0) return int.Parse(children[0]);
            }
            Thread.Sleep(20);
        }
        throw new TimeoutException("no save child appeared");
    }

    [Fact]
    public void Acl_user_can_back_up_and_bad_or_missing_credentials_and_a_down_server_are_clear_errors_with_no_record()
    {
        InitRepoWithKey(createCell: false);
        var source = NewInstance("source", "s3cret-Pass");
        using (var connection = source.Connect())
        {
            connection.GetDatabase(0).StringSet("a", "1");
            connection.GetServers()[0].Execute("ACL", "SETUSER", "backup", "on", ">Backup-Pw1", "+@all", "~*");
        }
        var record = Run("Backup-RedisRdb -Port $p -Credential $c -Repository $repo -KeyFile $key", ("p", source.Port), ("c", Password("Backup-Pw1", "backup")))
            .AssertNoErrors().Single<BackupRecord>();
        Assert.Equal($"redis://backup@localhost:{source.Port}", record.Source);

        var wrong = Run("Backup-RedisRdb -Port $p -Credential $c -Repository $repo -KeyFile $key", ("p", source.Port), ("c", Password("Wr0ng-Pa55")))
            .AssertError("RedisAuthenticationFailed");
        Assert.DoesNotContain("Wr0ng-Pa55", wrong.Exception.ToString());
        Run("Backup-RedisRdb -Port $p -Repository $repo -KeyFile $key", ("p", source.Port)).AssertError("RedisAuthenticationFailed");
        Run("Backup-RedisRdb -Port $p -Repository $repo -KeyFile $key", ("p", RedisInstance.FreePort())).AssertError("RedisUnreachable");
        Run("Backup-RedisRdb -Port 70000 -Repository $repo -KeyFile $key").AssertError("RedisPortInvalid");
        Assert.Single(Run("Get-Backup -Repository $repo").Objects<BackupRecord>());
    }

    [Fact]
    public void A_transfer_cut_off_mid_way_throws_and_leaves_no_backup_and_no_object()
    {
        InitRepoWithKey(createCell: false);
        var source = NewInstance("source");
        using (var connection = source.Connect()) RedisData.Seed(connection, [0]);
        using var proxy = new CuttingProxy(source.Port, 600_000);
        var error = Run("Backup-RedisRdb -Port $p -Repository $repo -KeyFile $key", ("p", proxy.Port)).AssertError("RedisTransferInterrupted");
        Assert.Contains("broke off after", error.Exception.Message);
        Assert.Empty(Run("Get-Backup -Repository $repo").Output);
        var backups = Path.Combine(Repo, "backups");
        Assert.Empty(Directory.Exists(backups) ? Directory.EnumerateFiles(backups, "*", SearchOption.AllDirectories) : []);
    }

    [Theory]
    [InlineData("truncated", "data:rdb", "RedisRdbTruncated")]
    [InlineData("flipped", "data:rdb", "RedisRdbChecksumMismatch")]
    public void Damaged_snapshots_fail_validation(string damage, string failedCheck, string errorId)
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo -Compression none | Out-Null").AssertNoErrors();
        var source = NewInstance("source");
        using (var connection = source.Connect()) RedisData.Seed(connection, [0]);
        var record = Run("Backup-RedisRdb -Port $p -Repository $repo", ("p", source.Port)).AssertNoErrors().Single<BackupRecord>();
        var path = Path.Combine(Repo, record.Location);
        var bytes = File.ReadAllBytes(path);
        // A byte inside a value (the middle of the file): the structure still parses, only the CRC-64 tells.
        bytes = damage == "truncated" ? bytes[..(bytes.Length / 2)] : bytes.Select((b, i) => i == bytes.Length / 2 ? (byte)(b ^ 0x01) : b).ToArray();
        RewriteObject(record, bytes);
        var integrity = Run("Test-BackupIntegrity -Id $id -Repository $repo", ("id", record.Id)).Single<IntegrityResult>();
        Assert.Equal(failedCheck, integrity.FailedCheck);
        Assert.Contains(errorId, integrity.Checks.Single(c => !c.Passed).Detail);
    }

    [Fact]
    public void A_manifest_whose_key_counts_do_not_match_the_snapshot_fails_validation()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo -Compression none | Out-Null").AssertNoErrors();
        var source = NewInstance("source");
        using (var connection = source.Connect()) connection.GetDatabase(4).StringSet(Enumerable.Range(0, 321).Select(i => new KeyValuePair<RedisKey, RedisValue>($"k{i}", i)).ToArray());
        var record = Run("Backup-RedisRdb -Port $p -Repository $repo", ("p", source.Port)).AssertNoErrors().Single<BackupRecord>();
        var manifestPath = Path.Combine(Repo, "backups", record.Id, "manifest.json");
        var json = File.ReadAllText(manifestPath);
        Assert.Contains("\"keys\": 321", json);
        File.WriteAllText(manifestPath, json.Replace("\"keys\": 321", "\"keys\": 322"));
        var integrity = Run("Test-BackupIntegrity -Id $id -Repository $repo", ("id", record.Id)).Single<IntegrityResult>();
        Assert.Equal("data:rdb", integrity.FailedCheck);
        Assert.Contains("RedisRdbKeyCountMismatch", integrity.Checks.Single(c => !c.Passed).Detail);
        Assert.Contains("db4", integrity.Checks.Single(c => !c.Passed).Detail);
    }

    [Fact]
    public void Rdb_reader_counts_keys_and_checks_the_checksum_of_a_file_redis_wrote()
    {
        var source = NewInstance("source");
        using (var connection = source.Connect())
        {
            RedisData.Seed(connection, [0, 5], scale: 1);
            connection.GetServers()[0].Execute("SAVE"); // the synchronous SAVE; the client marks ForegroundSave obsolete
        }
        using var file = File.OpenRead(source.DumpPath);
        var summary = RdbReader.Read(file);
        Assert.Equal(10, summary.Version);
        Assert.True(summary.ChecksumPresent);
        Assert.Equal(summary.StoredChecksum, summary.ComputedChecksum);
        Assert.Equal([0, 5], summary.Databases.Select(d => d.Index));
        Assert.All(summary.Databases, d => Assert.Equal(36007L, d.Keys));
        Assert.Equal("7.0.15", summary.Aux["redis-ver"]);
    }

    [Fact]
    public void Crc64_is_the_jones_variant_redis_uses()
    {
        Assert.Equal(0xe9c6d914c4b8d9caUL, Crc64.Update(0, "123456789"u8));
        var data = new byte[1000];
        new Random(1).NextBytes(data);
        Assert.Equal(Crc64.Update(0, data), Crc64.Update(Crc64.Update(0, data.AsSpan(0, 333)), data.AsSpan(333)));
    }

    /// <summary>Replaces a (plain) object's bytes and fixes the manifest's sizes and hashes, as damage that got past the hashes would look.</summary>
    private void RewriteObject(BackupRecord record, byte[] bytes)
    {
        File.WriteAllBytes(Path.Combine(Repo, record.Location), bytes);
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant();
        var manifestPath = Path.Combine(Repo, "backups", record.Id, "manifest.json");
        var json = File.ReadAllText(manifestPath).Replace(record.Sha256, hash).Replace(record.RawSha256, hash)
            .Replace($"\"storedBytes\": {record.StoredBytes}", $"\"storedBytes\": {bytes.Length}")
            .Replace($"\"rawBytes\": {record.RawBytes}", $"\"rawBytes\": {bytes.Length}");
        File.WriteAllText(manifestPath, json);
    }
}
