using System.Management.Automation;
using BackupTools.Tests.Infrastructure;
using Npgsql;

namespace BackupTools.Tests.PostgresPitr;

/// <summary>
/// Issue 17's core path against a real PostgreSQL 15: base backup mid-load, continuous archiving through the
/// archive_command spool and Push-PostgresWal, Restore-PostgresCluster to a moment between two known commits and
/// to the end of the archive; gaps and damage refused before anything is handed over.
/// </summary>
[Collection("servers")] // picks free ports like the other server-starting classes: never at the same time
public sealed class PointInTimeRestoreTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly ArchivingCluster _cluster;
    private readonly List<string> _restored = [];

    public PointInTimeRestoreTests()
    {
        Directory.CreateDirectory(_temp.Sub("restores"));
        ArchivingCluster.MakeReachable(_temp.Sub("restores"));
        _cluster = new ArchivingCluster(_temp.Sub("cluster")); 
        try
        {
            Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null; New-BackupKey -Path $key | Out-Null").AssertNoErrors();
            _cluster.Scalar("create table ledger(id int primary key, at timestamptz not null default clock_timestamp())");
        }
        catch
        {
            _cluster.Dispose(); // xunit does not dispose a test class whose constructor threw
            throw;
        }
    }

    private PsResult Run(string script, params (string Name, object? Value)[] extra)
    {
        var vars = new Dictionary<string, object?>
        {
            ["repo"] = _temp.Sub("repo"), ["key"] = _temp.Sub("main.key"), ["port"] = _cluster.Port, ["spool"] = _cluster.Spool,
            ["cred"] = ArchivingCluster.Credential,
        };
        foreach (var (name, value) in extra) vars[name] = value;
        return _ps.Run(script, vars);
    }


    /// <summary>Rows committed one transaction each, so every row has its own commit time.</summary>
    private void Commit(int from, int to)
    {
        using var c = _cluster.Connect();
        for (var i = from; i <= to; i++)
        {
            using var cmd = new NpgsqlCommand($"insert into ledger(id) values ({i})", c);
            cmd.ExecuteNonQuery();
        }
    }

    private string NewDataDir() => _temp.Sub($"restores/data-{_restored.Count}");

    private PgPitrRestoreResult Restore(DateTimeOffset? at, int port)
    {
        var dir = NewDataDir();
        _restored.Add(dir);
        var script = "Restore-PostgresCluster -Cell pitr -DataDirectory $dir -Port $p -KeepRunning -Repository $repo -KeyFile $key -Confirm:$false" + (at is null ? "" : " -At $at");
        return Run(script, ("dir", dir), ("p", port), ("at", at)).AssertNoErrors().Single<PgPitrRestoreResult>();
    }

    private static long Count(int port, string sql = "select count(*) from ledger")
    {
        using var c = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Password={ArchivingCluster.Password};Database=postgres;Pooling=false");
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    [Fact]
    public void Restore_to_a_moment_between_two_commits_gives_exactly_the_rows_committed_before_it_and_latest_gives_all()
    {
        Commit(1, 50);
        var backup = Run("Backup-PostgresBase -Server 127.0.0.1 -Port $port -Credential $cred -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors().Single<BackupRecord>();
        Assert.Equal("postgres-base", backup.Engine);
        Commit(51, 100);
        Thread.Sleep(300);
        var between = DateTimeOffset.UtcNow;
        Thread.Sleep(300);
        Commit(101, 150);
        _cluster.SwitchAndWaitArchived();

        var pushed = Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors().Objects<BackupTools.Core.Engines.PostgresPitr.WalPushResult>().ToList();
        Assert.NotEmpty(pushed.SelectMany(p => p.Pushed));
        Assert.Empty(Directory.GetFiles(_cluster.Spool)); // shipped, then forgotten

        // The live RPO: the WAL series' age is the age of the newest archived WAL, and -MaxAge alerts on it.
        var wal = Run("Get-BackupStatus -Repository $repo -MaxAge 10m").AssertNoErrors().Objects<BackupStatus>().Single(s => s.Engine == "postgres-wal");
        Assert.True(wal.Age < TimeSpan.FromMinutes(2), $"WAL age {wal.Age}");
        var checks = Run("Get-Backup -Repository $repo -Cell pitr | Test-BackupIntegrity -KeyFile $key").AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Contains(checks, r => r.Passed && r.Checks.Any(c => c.Name == "data:basebackup" && c.Passed));
        Assert.Contains(checks, r => r.Passed && r.Checks.Any(c => c.Name == "data:wal" && c.Passed));

        var port = ArchivingCluster.FreePort();
        var atMoment = Restore(between, port);
        Assert.Equal(backup.Id, atMoment.BaseBackupId);
        Assert.Equal(100, Count(port));
        Assert.Equal(100, Count(port, "select max(id) from ledger"));
        Assert.NotNull(atMoment.RecoveredTo);
        Assert.True(atMoment.RecoveredTo > between, $"recovery stopped at {atMoment.RecoveredTo}, before {between}");
        ArchivingCluster.StopServer(_restored[^1]);

        var latestPort = ArchivingCluster.FreePort();
        Restore(null, latestPort);
        Assert.Equal(150, Count(latestPort));
        Assert.Equal(150L, Convert.ToInt64(_cluster.Scalar("select count(*) from ledger"))); // the source never stopped
    }

    [Fact]
    public void In_place_the_proven_copy_replaces_the_stopped_cluster_which_is_kept_and_archiving_carries_on()
    {
        Commit(1, 50);
        Run("Backup-PostgresBase -Server 127.0.0.1 -Port $port -Credential $cred -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();
        Commit(51, 100);
        Thread.Sleep(300);
        var beforeTheMistake = DateTimeOffset.UtcNow;
        Thread.Sleep(300);
        _cluster.Scalar("drop table ledger"); // the mistake
        _cluster.SwitchAndWaitArchived();
        Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();

        var inPlace = "Restore-PostgresCluster -Cell pitr -At $at -DataDirectory $dir -InPlace -Port $p -Repository $repo -KeyFile $key -Confirm:$false";
        var vars = new (string, object?)[] { ("dir", _cluster.DataDir), ("p", ArchivingCluster.FreePort()), ("at", beforeTheMistake) };
        Run(inPlace, vars).AssertError("PostgresClusterRunning"); // never under a running server
        Assert.False(Directory.Exists(_cluster.DataDir + ".bt-staging"));

        ArchivingCluster.StopServer(_cluster.DataDir);
        var result = Run(inPlace, vars).AssertNoErrors().Single<PgPitrRestoreResult>();
        Assert.True(Directory.Exists(result.PreviousDataDirectory), "the replaced cluster is kept");
        _cluster.StartOnAFreePort();
        Assert.Equal(100L, Convert.ToInt64(_cluster.Scalar("select count(*) from ledger")));
        Assert.Equal("on", _cluster.Scalar("show archive_mode")); // our recovery settings are gone again
        Commit(101, 110);
        _cluster.SwitchAndWaitArchived(); // and it archives as before
    }

    [Fact]
    public void A_named_restore_point_and_an_lsn_are_targets_too_and_two_targets_at_once_are_refused()
    {
        Commit(1, 10);
        Run("Backup-PostgresBase -Server 127.0.0.1 -Port $port -Credential $cred -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();
        Commit(11, 20);
        _cluster.Scalar("select pg_create_restore_point('before-migration')");
        Commit(21, 30);
        var lsn = (string)_cluster.Scalar("select pg_current_wal_lsn()::text")!;
        Commit(31, 40);
        _cluster.SwitchAndWaitArchived();
        Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();

        var port = ArchivingCluster.FreePort();
        var dir = NewDataDir();
        _restored.Add(dir);
        Run("Restore-PostgresCluster -Cell pitr -RestorePoint before-migration -DataDirectory $dir -Port $p -KeepRunning -Repository $repo -KeyFile $key -Confirm:$false",
            ("dir", dir), ("p", port)).AssertNoErrors();
        Assert.Equal(20, Count(port));
        ArchivingCluster.StopServer(dir);

        var lsnPort = ArchivingCluster.FreePort();
        var lsnDir = NewDataDir();
        _restored.Add(lsnDir);
        Run("Restore-PostgresCluster -Cell pitr -Lsn $lsn -DataDirectory $dir -Port $p -KeepRunning -Repository $repo -KeyFile $key -Confirm:$false",
            ("dir", lsnDir), ("p", lsnPort), ("lsn", lsn)).AssertNoErrors();
        Assert.Equal(30, Count(lsnPort));

        var both = Run("Restore-PostgresCluster -Cell pitr -Lsn $lsn -Xid 5 -DataDirectory $dir -Port 1 -Repository $repo -KeyFile $key -Confirm:$false", ("dir", NewDataDir()), ("lsn", lsn));
        both.AssertError("RecoveryTargetAmbiguous");
    }

    [Fact]
    public void A_missing_segment_refuses_a_target_beyond_it_naming_the_gap_and_leaves_nothing()
    {
        Commit(1, 10);
        Run("Backup-PostgresBase -Server 127.0.0.1 -Port $port -Credential $cred -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();
        var spooled = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            Commit(100 * (round + 1), 100 * (round + 1) + 20);
            _cluster.SwitchAndWaitArchived();
        }
        var segments = Directory.GetFiles(_cluster.Spool).Select(Path.GetFileName).Where(n => n!.Length == 24).Order().ToList();
        Assert.True(segments.Count >= 3, string.Join(",", segments));
        var lost = segments[^2]!;
        File.Delete(Path.Combine(_cluster.Spool, lost));
        var after = DateTimeOffset.UtcNow;
        Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();
        // Operations see it before anyone needs a restore: the WAL series is unhealthy however fresh its newest WAL.
        var wal = Run("Get-BackupStatus -Repository $repo").Objects<BackupStatus>().Single(s => s.Engine == "postgres-wal");
        Assert.Contains(wal.Warnings, w => w.Contains("WAL gap") && w.Contains(lost));

        var dir = NewDataDir();
        var result = Run("Restore-PostgresCluster -Cell pitr -At $at -DataDirectory $dir -Port $p -Repository $repo -KeyFile $key -Confirm:$false",
            ("dir", dir), ("p", ArchivingCluster.FreePort()), ("at", after));
        var error = result.AssertError("RecoveryTargetNotReached");
        Assert.Contains(lost, error.Exception.Message);
        Assert.Contains(result.Warnings, w => w.Contains("gap") && w.Contains(lost));
        Assert.False(Directory.Exists(dir));
        Assert.False(Directory.Exists(dir + ".bt-wal"));
    }

    [Fact]
    public void The_source_servers_socket_lock_file_is_not_restored()
    {
        // The cluster's socket directory is its data directory, so pg_basebackup copies .s.PGSQL.<port>.lock; a server
        // started on that port would refuse to run while the pid in it is alive (a stopped cluster's pid, reused).
        Assert.True(File.Exists(Path.Combine(_cluster.DataDir, $".s.PGSQL.{_cluster.Port}.lock")));
        Run("Backup-PostgresBase -Server 127.0.0.1 -Port $port -Credential $cred -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();
        var dir = NewDataDir();
        Run("Restore-PostgresCluster -Cell pitr -DataDirectory $dir -Port $p -Repository $repo -KeyFile $key -Confirm:$false", ("dir", dir), ("p", ArchivingCluster.FreePort())).AssertNoErrors();
        Assert.Empty(Directory.GetFiles(dir, ".s.PGSQL.*"));
    }

    [Fact]
    public void An_xid_target_recovers_through_that_committed_transaction_and_no_further()
    {
        Commit(1, 10);
        Run("Backup-PostgresBase -Server 127.0.0.1 -Port $port -Credential $cred -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();
        Commit(11, 20);
        string xid;
        using (var c = _cluster.Connect())
        using (var tx = c.BeginTransaction())
        {
            using (var insert = new NpgsqlCommand("insert into ledger(id) select generate_series(21, 25)", c, tx)) insert.ExecuteNonQuery();
            using (var id = new NpgsqlCommand("select txid_current()::text", c, tx)) xid = (string)id.ExecuteScalar()!;
            tx.Commit();
        }
        Commit(26, 30);
        _cluster.SwitchAndWaitArchived();
        Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();

        var port = ArchivingCluster.FreePort();
        var dir = NewDataDir();
        _restored.Add(dir);
        Run("Restore-PostgresCluster -Cell pitr -Xid $xid -DataDirectory $dir -Port $p -KeepRunning -Repository $repo -KeyFile $key -Confirm:$false",
            ("dir", dir), ("p", port), ("xid", xid)).AssertNoErrors();
        Assert.Equal(25, Count(port)); // the transaction itself is in (recovery_target_inclusive), commit 26 is not
        Assert.Equal(25, Count(port, "select max(id) from ledger"));
    }

    [Fact]
    public void A_restore_test_recovers_the_base_backup_and_its_wal_on_a_throwaway_server_and_removes_it()
    {
        Commit(1, 10);
        var backup = Run("Backup-PostgresBase -Server 127.0.0.1 -Port $port -Credential $cred -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors().Single<BackupRecord>();
        Commit(11, 20);
        _cluster.SwitchAndWaitArchived();
        var batch = Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors()
            .Objects<BackupTools.Core.Engines.PostgresPitr.WalPushResult>().Single(r => r.BatchId != null).BatchId!;
        var scratch = Directory.GetDirectories(Path.GetTempPath(), "bt-pg-restoretest-*").ToHashSet();

        var result = Run("Test-BackupIntegrity -Id $id -RestoreTest -Repository $repo -KeyFile $key", ("id", backup.Id)).AssertNoErrors().Single<IntegrityResult>();
        var check = result.Checks.Single(c => c.Name == "restore-test");
        Assert.True(check.Passed, check.Detail);
        Assert.Contains("archived WAL file(s)", check.Detail);
        Assert.DoesNotContain(" 0 archived WAL", check.Detail);
        Assert.Equal(scratch, Directory.GetDirectories(Path.GetTempPath(), "bt-pg-restoretest-*").ToHashSet()); // stopped and removed

        // WAL the base backup needs, damaged: the restore test fails and names the batch.
        var data = Path.Combine(_temp.Sub("repo"), "backups", batch, "data");
        var bytes = File.ReadAllBytes(data);
        bytes[bytes.Length / 2] ^= 0x20;
        File.WriteAllBytes(data, bytes);
        var damaged = Run("Test-BackupIntegrity -Id $id -RestoreTest -Repository $repo -KeyFile $key", ("id", backup.Id)).Objects<IntegrityResult>().Single();
        var failed = damaged.Checks.Single(c => c.Name == "restore-test");
        Assert.False(failed.Passed);
        Assert.Contains(batch, failed.Detail);
        Assert.Equal(scratch, Directory.GetDirectories(Path.GetTempPath(), "bt-pg-restoretest-*").ToHashSet());
    }

    [Fact]
    public void A_damaged_wal_batch_is_caught_before_a_server_is_handed_over()
    {
        Commit(1, 10);
        Run("Backup-PostgresBase -Server 127.0.0.1 -Port $port -Credential $cred -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();
        Commit(11, 20);
        _cluster.SwitchAndWaitArchived();
        var batch = Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors()
            .Objects<BackupTools.Core.Engines.PostgresPitr.WalPushResult>().Single(r => r.BatchId != null).BatchId!;
        var data = Path.Combine(_temp.Sub("repo"), "backups", batch, "data");
        var bytes = File.ReadAllBytes(data);
        bytes[bytes.Length / 2] ^= 0x20;
        File.WriteAllBytes(data, bytes);

        var dir = NewDataDir();
        var result = Run("Restore-PostgresCluster -Cell pitr -DataDirectory $dir -Port $p -Repository $repo -KeyFile $key -Confirm:$false", ("dir", dir), ("p", ArchivingCluster.FreePort()));
        Assert.Contains(batch, Assert.Single(result.Errors).Exception.Message);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void A_segment_spooled_again_after_it_was_pushed_is_dropped_and_other_content_under_its_name_is_refused()
    {
        Commit(1, 5);
        _cluster.SwitchAndWaitArchived();
        var first = Directory.GetFiles(_cluster.Spool).Select(Path.GetFileName).First(n => n!.Length == 24)!;
        var copy = File.ReadAllBytes(Path.Combine(_cluster.Spool, first));
        Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();

        File.WriteAllBytes(Path.Combine(_cluster.Spool, first), copy); // PostgreSQL archiving it again after a crash
        var again = Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors().Objects<BackupTools.Core.Engines.PostgresPitr.WalPushResult>().Single();
        Assert.Equal([first], again.AlreadyArchived);
        Assert.Empty(Directory.GetFiles(_cluster.Spool));

        copy[^1] ^= 1;
        File.WriteAllBytes(Path.Combine(_cluster.Spool, first), copy);
        Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertError("WalFileConflict");
        Assert.True(File.Exists(Path.Combine(_cluster.Spool, first)), "a conflicting file stays spooled for a human");
    }

    [Fact]
    public void An_archive_command_killed_mid_copy_loses_no_wal_and_its_abandoned_temp_file_is_swept()
    {
        Commit(1, 5);
        _cluster.SwitchAndWaitArchived();
        var segment = Directory.GetFiles(_cluster.Spool).Select(Path.GetFileName).First(n => n!.Length == 24)!;
        // What a SIGKILLed bt-wal-spool leaves: a partial temp copy (PostgreSQL retries under a new name) — one old, one in flight.
        var abandoned = Path.Combine(_cluster.Spool, $".{segment}.111.tmp");
        var inFlight = Path.Combine(_cluster.Spool, $".{segment}.222.tmp");
        File.WriteAllBytes(abandoned, new byte[4096]);
        File.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow.AddHours(-2));
        File.WriteAllBytes(inFlight, new byte[4096]);

        var pushed = Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors()
            .Objects<BackupTools.Core.Engines.PostgresPitr.WalPushResult>().SelectMany(r => r.Pushed).ToList();
        Assert.Contains(segment, pushed); // the temp copies never pass for a segment
        Assert.False(File.Exists(abandoned));
        Assert.True(File.Exists(inFlight), "a copy that may still be running is left alone");
    }

    public void Dispose()
    {
        foreach (var dir in _restored) ArchivingCluster.StopServer(dir);
        _cluster.Dispose();
        _ps.Dispose();
        _temp.Dispose();
    }
}
