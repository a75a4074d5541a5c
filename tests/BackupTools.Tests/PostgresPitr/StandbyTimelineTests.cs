using System.Management.Automation;
using BackupTools.Tests.Infrastructure;
using Npgsql;

namespace BackupTools.Tests.PostgresPitr;

/// <summary>
/// Issue 17: a base backup taken from a standby (built with pg_basebackup -R), the primary lost, the standby
/// promoted to timeline 2 and taking writes; recovery follows the archive across the timeline switch.
/// </summary>
[Collection("servers")] // picks free ports like the other server-starting classes: never at the same time
public sealed class StandbyTimelineTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly ArchivingCluster _primary;
    private readonly string _standby;
    private readonly int _standbyPort = ArchivingCluster.FreePort();
    private readonly List<string> _restored = [];

    public StandbyTimelineTests()
    {
        Directory.CreateDirectory(_temp.Sub("restores"));
        ArchivingCluster.MakeReachable(_temp.Sub("restores"));
        _standby = _temp.Sub("cluster/standby");
        _primary = new ArchivingCluster(_temp.Sub("cluster"));
        try
        {
            _ps.Run("Initialize-BackupRepository -Format v1 -Path $r | Out-Null; New-BackupKey -Path $k | Out-Null",
                new Dictionary<string, object?> { ["r"] = _temp.Sub("repo"), ["k"] = _temp.Sub("main.key") }).AssertNoErrors();
            Exec(_primary.Port, "create table ledger(id int primary key)");
            Directory.CreateDirectory(_standby, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            ArchivingCluster.Chown(_standby);
            var pgpass = _temp.Sub("cluster/pgpass");
            File.WriteAllText(pgpass, $"*:*:*:*:{ArchivingCluster.Password}\n");
            File.SetUnixFileMode(pgpass, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            ArchivingCluster.Chown(pgpass);
            ArchivingCluster.AsPostgres("env", $"PGPASSFILE={pgpass}", Path.Combine(ArchivingCluster.Bin, "pg_basebackup"), "-h", "127.0.0.1", "-p", _primary.Port.ToString(),
                "-U", "postgres", "-D", _standby, "-R", "-X", "stream", "-c", "fast");
            File.AppendAllText(Path.Combine(_standby, "postgresql.auto.conf"), $"\nport = {_standbyPort}\nunix_socket_directories = '{_standby}'\n");
            var log = _temp.Sub("cluster/standby.log");
            File.WriteAllText(log, "");
            ArchivingCluster.Chown(log);
            ArchivingCluster.AsPostgres(Path.Combine(ArchivingCluster.Bin, "pg_ctl"), "-D", _standby, "-w", "-l", log, "start");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private PsResult Run(string script, params (string Name, object? Value)[] extra)
    {
        var vars = new Dictionary<string, object?>
        {
            ["repo"] = _temp.Sub("repo"), ["key"] = _temp.Sub("main.key"), ["spool"] = _primary.Spool,
            ["cred"] = ArchivingCluster.Credential,
        };
        foreach (var (name, value) in extra) vars[name] = value;
        return _ps.Run(script, vars);
    }

    private static object? Exec(int port, string sql)
    {
        using var c = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Password={ArchivingCluster.Password};Database=postgres;Pooling=false");
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        return cmd.ExecuteScalar();
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what);
            Thread.Sleep(100);
        }
    }

    [Fact]
    public void A_base_backup_from_a_standby_recovers_across_its_promotion_to_a_new_timeline()
    {
        Exec(_primary.Port, "insert into ledger select generate_series(1, 10)");
        WaitFor(() => Convert.ToInt64(Exec(_standbyPort, "select count(*) from ledger")) == 10, "the standby did not catch up");
        var backup = Run("Backup-PostgresBase -Server 127.0.0.1 -Port $p -Credential $cred -Cell pitr -Repository $repo -KeyFile $key", ("p", _standbyPort))
            .AssertNoErrors().Single<BackupRecord>();
        Assert.Equal("true", backup.EngineInfo["fromStandby"]?.ToString(), ignoreCase: true);

        Exec(_primary.Port, "insert into ledger select generate_series(11, 20)");
        WaitFor(() => Convert.ToInt64(Exec(_standbyPort, "select count(*) from ledger")) == 20, "the standby did not catch up");
        _primary.SwitchAndWaitArchived();
        _primary.Dispose(); // the primary is lost

        ArchivingCluster.AsPostgres(Path.Combine(ArchivingCluster.Bin, "pg_ctl"), "-D", _standby, "-w", "promote");
        WaitFor(() => Exec(_standbyPort, "select pg_is_in_recovery()") is false, "the standby did not promote");
        Exec(_standbyPort, "insert into ledger select generate_series(21, 30)");
        // The promoted standby archives its own WAL (timeline 2, its history file) through the same spool.
        var segment = (string)Exec(_standbyPort, "select pg_walfile_name(pg_switch_wal())")!;
        WaitFor(() => Exec(_standbyPort, "select last_archived_wal from pg_stat_archiver") is string last && string.CompareOrdinal(last, segment) >= 0, "timeline 2 was not archived");
        Assert.Contains(Directory.GetFiles(_primary.Spool), f => f.EndsWith("00000002.history"));
        Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();

        var dir = _temp.Sub("restores/latest");
        _restored.Add(dir);
        var port = ArchivingCluster.FreePort();
        var result = Run("Restore-PostgresCluster -Cell pitr -DataDirectory $dir -Port $p -KeepRunning -Repository $repo -KeyFile $key -Confirm:$false", ("dir", dir), ("p", port))
            .AssertNoErrors().Single<PgPitrRestoreResult>();
        Assert.Equal(backup.Id, result.BaseBackupId);
        Assert.Equal(30L, Convert.ToInt64(Exec(port, "select count(*) from ledger")));
        Assert.True(Convert.ToInt64(Exec(port, "select timeline_id from pg_control_checkpoint()")) >= 2);
    }

    public void Dispose()
    {
        foreach (var dir in _restored) ArchivingCluster.StopServer(dir);
        ArchivingCluster.StopServer(_standby);
        _primary.Dispose();
        _ps.Dispose();
        _temp.Dispose();
    }
}
