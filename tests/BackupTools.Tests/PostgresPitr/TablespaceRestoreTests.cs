using System.Collections;
using System.Management.Automation;
using BackupTools.Tests.Infrastructure;
using Npgsql;

namespace BackupTools.Tests.PostgresPitr;

/// <summary>
/// Issue 17's tablespaces against a real PostgreSQL 15: a cluster with two tablespaces outside its data directory, base
/// backed up as one stream (pg_basebackup writing into FIFOs), restored to a moment between commits and to the latest,
/// into the original locations or remapped with -TablespaceMap, in place with the old tablespaces kept; damage caught
/// before anything is swapped.
/// </summary>
[Collection("servers")]
public sealed class TablespaceRestoreTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly ArchivingCluster _cluster;
    private readonly List<string> _restored = [];
    private readonly string _hot;
    private readonly string _cold;

    public TablespaceRestoreTests()
    {
        Directory.CreateDirectory(_temp.Sub("restores"));
        ArchivingCluster.MakeReachable(_temp.Sub("restores"));
        _cluster = new ArchivingCluster(_temp.Sub("cluster"));
        try
        {
            _hot = TablespaceFolder("spaces/hot");
            _cold = TablespaceFolder("spaces/cold");
            Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null; New-BackupKey -Path $key | Out-Null").AssertNoErrors();
            _cluster.Scalar($"create tablespace hot location '{_hot}'");
            _cluster.Scalar($"create tablespace cold location '{_cold}'");
            _cluster.Scalar("create table orders(id int primary key, at timestamptz not null default clock_timestamp()) tablespace hot");
            _cluster.Scalar("create table archive(id int primary key, note text) tablespace cold");
            _cluster.Scalar("insert into archive select g, repeat('x', 200) from generate_series(1, 5000) g");
        }
        catch
        {
            _cluster.Dispose();
            throw;
        }
    }

    /// <summary>An empty folder owned by postgres, as CREATE TABLESPACE wants it.</summary>
    private string TablespaceFolder(string name)
    {
        var path = _temp.Sub(name);
        Directory.CreateDirectory(path);
        ArchivingCluster.MakeReachable(path);
        ArchivingCluster.Chown(path);
        return path;
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


    private void Commit(int from, int to)
    {
        using var c = _cluster.Connect();
        for (var i = from; i <= to; i++)
        {
            using var cmd = new NpgsqlCommand($"insert into orders(id) values ({i})", c);
            cmd.ExecuteNonQuery();
        }
    }

    private static long Count(int port, string sql)
    {
        using var c = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Password={ArchivingCluster.Password};Database=postgres;Pooling=false");
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    private static string Location(int port, string tablespace)
    {
        using var c = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Password={ArchivingCluster.Password};Database=postgres;Pooling=false");
        c.Open();
        using var cmd = new NpgsqlCommand($"select pg_tablespace_location(oid) from pg_tablespace where spcname = '{tablespace}'", c);
        return (string)cmd.ExecuteScalar()!;
    }

    private IReadOnlyList<BackupTools.Core.Engines.PostgresPitr.PgTablespace> Tablespaces(string id)
    {
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_temp.Sub("repo"), "backups", id, "manifest.json")))!;
        return BackupTools.Core.Engines.PostgresPitr.PgTablespace.From(manifest["engineInfo"]!.AsObject());
    }

    private BackupRecord BaseBackup() =>
        Run("Backup-PostgresBase -Server 127.0.0.1 -Port $port -Credential $cred -Cell ts -Repository $repo -KeyFile $key").AssertNoErrors().Single<BackupRecord>();

    private void PushWal()
    {
        _cluster.SwitchAndWaitArchived();
        Run("Push-PostgresWal $spool -Cell ts -Repository $repo -KeyFile $key").AssertNoErrors();
    }

    [Fact]
    public void A_cluster_with_two_tablespaces_is_backed_up_as_one_stream_and_its_manifest_records_them()
    {
        Commit(1, 20);
        var backup = BaseBackup();
        var spaces = Tablespaces(backup.Id);
        Assert.Equal(["cold", "hot"], spaces.Select(s => s.Name).Order());
        Assert.Equal(_hot, spaces.Single(s => s.Name == "hot").Location);
        Assert.True(spaces.Single(s => s.Name == "cold").Bytes > 1_000_000, "cold holds 5000 rows of 200 bytes");
        Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), "bt-pgbase-*")); // the FIFO folder is gone
        var checks = Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", backup.Id)).AssertNoErrors().Single<IntegrityResult>();
        Assert.True(checks.Passed, string.Join("; ", checks.Checks.Select(c => $"{c.Name}: {c.Detail}")));
        Assert.Contains(checks.Checks, c => c.Name == "data:basebackup" && c.Passed);
    }

    private string NewFolder(string name)
    {
        var path = _temp.Sub($"restores/{name}-{_restored.Count}");
        return path;
    }

    private PsResult Restore(string dir, int port, DateTimeOffset? at, Hashtable? map, string extra = "-KeepRunning")
    {
        _restored.Add(dir);
        return Run("Restore-PostgresCluster -Cell ts -DataDirectory $dir -Port $p -Repository $repo -KeyFile $key -Confirm:$false " + extra
            + (at is null ? "" : " -At $at") + (map is null ? "" : " -TablespaceMap $map"), ("dir", dir), ("p", port), ("at", at), ("map", map));
    }

    [Fact]
    public void A_side_restore_needs_a_map_while_the_original_locations_are_in_use_and_recovers_to_a_moment_and_to_the_latest()
    {
        Commit(1, 20);
        BaseBackup();
        Commit(21, 40);
        Thread.Sleep(300);
        var between = DateTimeOffset.UtcNow;
        Thread.Sleep(300);
        Commit(41, 60);
        _cluster.Scalar("delete from archive where id > 4000"); // after the moment: the cold tablespace changes too
        PushWal();

        var dir = NewFolder("data");
        var refused = Restore(dir, ArchivingCluster.FreePort(), between, null);
        var error = refused.AssertError("RestoreTablespaceNotEmpty");
        Assert.Contains("-TablespaceMap", error.Exception.Message);
        Assert.Contains(_hot, error.Exception.Message + _cold);
        Assert.False(Directory.Exists(dir), "nothing was built");

        // -WhatIf: what ShouldProcess is asked lists the tablespaces and where they would go.
        string? said = null;
        var keys = BackupTools.Core.Keys.BackupKeyRing.Load(new BackupTools.Core.Keys.KeySources([_temp.Sub("main.key")], [], false));
        var whatIf = new BackupTools.Core.Engines.PostgresPitr.PgPitrRestoreRequest(new BackupTools.Core.Repository.RepositoryReference(_temp.Sub("repo")), "ts", null, null, dir, 5999,
            false, null, null, keys, (_, action) => { said = action; return false; }, TablespaceMap: new Dictionary<string, string> { ["hot"] = "/srv/hot-new", ["cold"] = "/srv/cold-new" });
        Assert.Null(new BackupTools.Core.Engines.PostgresPitr.PgPitrRestoreOperation(BackupTools.Core.Operations.NullObserver.Instance).Run(whatIf, CancellationToken.None));
        Assert.Contains("tablespaces: ", said);
        Assert.Contains("→ /srv/hot-new", said);
        Assert.Contains("→ /srv/cold-new", said);
        Assert.False(Directory.Exists(dir));

        var hot = NewFolder("hot");
        var cold = NewFolder("cold");
        var port = ArchivingCluster.FreePort();
        Restore(dir, port, between, new Hashtable { ["hot"] = hot, ["cold"] = cold }).AssertNoErrors();
        Assert.Equal(40, Count(port, "select count(*) from orders"));
        Assert.Equal(5000, Count(port, "select count(*) from archive"));
        Assert.Equal(hot, Location(port, "hot"));
        Assert.Equal(cold, Location(port, "cold"));
        Assert.NotEmpty(Directory.GetFiles(cold, "*", SearchOption.AllDirectories)); // the table's files are in the mapped folder
        ArchivingCluster.StopServer(dir);

        // By oid works too, and to the end of the archive.
        var oids = Tablespaces(Run("Get-Backup -Repository $repo -Cell ts").Objects<BackupRecord>().Single(b => b.Engine == "postgres-base").Id);
        var latestDir = NewFolder("latest");
        var latestPort = ArchivingCluster.FreePort();
        Restore(latestDir, latestPort, null, new Hashtable { [oids.Single(t => t.Name == "hot").Oid.ToString(System.Globalization.CultureInfo.InvariantCulture)] = NewFolder("hot2"), ["cold"] = NewFolder("cold2") })
            .AssertNoErrors();
        Assert.Equal(60, Count(latestPort, "select count(*) from orders"));
        Assert.Equal(4000, Count(latestPort, "select count(*) from archive"));
        Assert.Equal(60L, Convert.ToInt64(_cluster.Scalar("select count(*) from orders"))); // the source never stopped

        Restore(NewFolder("typo"), 5999, null, new Hashtable { ["hto"] = NewFolder("x") }).AssertError("TablespaceMapUnknown");
    }

    [Fact]
    public void In_place_the_tablespaces_are_staged_proven_and_swapped_in_with_the_old_ones_kept_for_the_old_data_directory()
    {
        Commit(1, 20);
        BaseBackup();
        Commit(21, 40);
        Thread.Sleep(300);
        var beforeTheMistake = DateTimeOffset.UtcNow;
        Thread.Sleep(300);
        _cluster.Scalar("drop table archive"); // the mistake: its tablespace's files are gone
        PushWal();
        ArchivingCluster.StopServer(_cluster.DataDir);

        var result = Run("Restore-PostgresCluster -Cell ts -At $at -DataDirectory $dir -InPlace -Port $p -Repository $repo -KeyFile $key -Confirm:$false",
            ("dir", _cluster.DataDir), ("p", ArchivingCluster.FreePort()), ("at", beforeTheMistake)).AssertNoErrors().Single<PgPitrRestoreResult>();
        var stamp = result.PreviousDataDirectory![_cluster.DataDir.Length..];
        Assert.True(Directory.Exists(_hot + stamp) && Directory.Exists(_cold + stamp), "the replaced tablespaces are kept beside their locations");
        Assert.False(Directory.Exists(_hot + ".bt-staging"));
        foreach (var link in Directory.GetFileSystemEntries(Path.Combine(result.PreviousDataDirectory!, "pg_tblspc")))
            Assert.EndsWith(stamp, new FileInfo(link).LinkTarget!); // the kept cluster points at its own tablespaces
        foreach (var link in Directory.GetFileSystemEntries(Path.Combine(_cluster.DataDir, "pg_tblspc")))
            Assert.DoesNotContain(".bt-", new FileInfo(link).LinkTarget!); // the restored one at the original locations

        _cluster.StartOnAFreePort();
        Assert.Equal(40L, Convert.ToInt64(_cluster.Scalar("select count(*) from orders")));
        Assert.Equal(5000L, Convert.ToInt64(_cluster.Scalar("select count(*) from archive")));
        Assert.Equal(_hot, Convert.ToString(_cluster.Scalar("select pg_tablespace_location(oid) from pg_tablespace where spcname = 'hot'")));
    }

    [Fact]
    public void A_damaged_base_backup_with_tablespaces_is_caught_before_anything_is_swapped_and_the_stopped_cluster_is_untouched()
    {
        Commit(1, 20);
        var backup = BaseBackup();
        PushWal();
        ArchivingCluster.StopServer(_cluster.DataDir);
        // The tablespaces' archives stream first, so an early byte of the data object is one of theirs.
        var data = Path.Combine(_temp.Sub("repo"), "backups", backup.Id, "data");
        var bytes = File.ReadAllBytes(data);
        bytes[Math.Min(4096, bytes.Length / 8)] ^= 0x20;
        File.WriteAllBytes(data, bytes);
        var before = Snapshot();

        var result = Run("Restore-PostgresCluster -Cell ts -DataDirectory $dir -InPlace -Port $p -Repository $repo -KeyFile $key -Confirm:$false",
            ("dir", _cluster.DataDir), ("p", ArchivingCluster.FreePort()));
        Assert.Single(result.Errors);
        Assert.Equal(before, Snapshot());
        Assert.Empty(Directory.GetFileSystemEntries(_temp.Sub("spaces"), "*.bt-*"));
        Assert.Empty(Directory.GetFileSystemEntries(_temp.Sub("cluster"), "*.bt-*"));
        _cluster.StartOnAFreePort();
        Assert.Equal(20L, Convert.ToInt64(_cluster.Scalar("select count(*) from orders")));
    }

    /// <summary>Every file of the cluster and its tablespaces with its size and time: what "untouched" means.</summary>
    private string Snapshot() => string.Join("\n", new[] { _cluster.DataDir, _hot, _cold }
        .SelectMany(root => Directory.GetFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        .Select(f => $"{f} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks}"));

    [Fact]
    public void A_restore_test_recovers_a_base_backup_with_tablespaces_beside_its_throwaway_data_directory()
    {
        Commit(1, 20);
        var backup = BaseBackup();
        Commit(21, 30);
        PushWal();
        var result = Run("Test-BackupIntegrity -Id $id -RestoreTest -Repository $repo -KeyFile $key", ("id", backup.Id)).AssertNoErrors().Single<IntegrityResult>();
        var check = result.Checks.Single(c => c.Name == "restore-test");
        Assert.True(check.Passed, check.Detail);
        Assert.Equal(30L, Convert.ToInt64(_cluster.Scalar("select count(*) from orders"))); // the live tablespaces were never in the way
        Assert.DoesNotContain(Directory.GetDirectories(Path.GetTempPath(), "bt-pg-restoretest-*"), d => Directory.GetCreationTimeUtc(d) > DateTime.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public void A_base_backup_from_a_standby_with_tablespaces_restores_with_them()
    {
        Commit(1, 20);
        // A standby on this host: its tablespaces need their own folders (pg_basebackup -T).
        var standby = _temp.Sub("cluster/standby");
        Directory.CreateDirectory(standby, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ArchivingCluster.Chown(standby);
        var (standbyHot, standbyCold) = (TablespaceFolder("spaces/standby-hot"), TablespaceFolder("spaces/standby-cold"));
        var pgpass = _temp.Sub("cluster/pgpass");
        File.WriteAllText(pgpass, $"*:*:*:*:{ArchivingCluster.Password}\n");
        File.SetUnixFileMode(pgpass, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        ArchivingCluster.Chown(pgpass);
        ArchivingCluster.AsPostgres("env", $"PGPASSFILE={pgpass}", Path.Combine(ArchivingCluster.Bin, "pg_basebackup"), "-h", "127.0.0.1", "-p", _cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", "postgres", "-D", standby, "-R", "-X", "stream", "-c", "fast", "-T", $"{_hot}={standbyHot}", "-T", $"{_cold}={standbyCold}");
        var standbyPort = ArchivingCluster.FreePort();
        File.AppendAllText(Path.Combine(standby, "postgresql.auto.conf"), $"\nport = {standbyPort}\nunix_socket_directories = '{standby}'\n");
        var log = _temp.Sub("cluster/standby.log");
        File.WriteAllText(log, "");
        ArchivingCluster.Chown(log);
        _restored.Add(standby); // stopped on Dispose
        ArchivingCluster.AsPostgres(Path.Combine(ArchivingCluster.Bin, "pg_ctl"), "-D", standby, "-w", "-l", log, "start");
        Commit(21, 30);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Count(standbyPort, "select count(*) from orders") < 30)
        {
            Assert.True(DateTime.UtcNow < deadline, "the standby did not catch up");
            Thread.Sleep(100);
        }

        var backup = Run("Backup-PostgresBase -Server 127.0.0.1 -Port $p -Credential $cred -Cell ts -Repository $repo -KeyFile $key", ("p", standbyPort)).AssertNoErrors().Single<BackupRecord>();
        Assert.Equal("true", backup.EngineInfo["fromStandby"]?.ToString(), ignoreCase: true);
        Assert.Equal([standbyCold, standbyHot], Tablespaces(backup.Id).Select(t => t.Location).Order(StringComparer.Ordinal)); // the standby's own locations
        Commit(31, 40);
        PushWal();

        var dir = NewFolder("data");
        var port = ArchivingCluster.FreePort();
        Restore(dir, port, null, new Hashtable { ["hot"] = NewFolder("hot"), ["cold"] = NewFolder("cold") }).AssertNoErrors();
        Assert.Equal(40, Count(port, "select count(*) from orders"));
        Assert.Equal(5000, Count(port, "select count(*) from archive"));
    }

    [Fact]
    public void A_tablespace_created_after_the_base_backup_is_not_replayed_into_its_live_folder()
    {
        Commit(1, 20);
        BaseBackup();
        var late = TablespaceFolder("spaces/late");
        _cluster.Scalar($"create tablespace late location '{late}'");
        _cluster.Scalar("create table notes(id int) tablespace late");
        _cluster.Scalar("insert into notes select generate_series(1, 100)");
        _cluster.Scalar("checkpoint");
        PushWal();
        var before = Directory.GetFiles(late, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(before);

        // PostgreSQL's replay of CREATE TABLESPACE empties <late>/PG_15_… — the live cluster's folder on this host.
        var dir = NewFolder("data");
        var result = Restore(dir, ArchivingCluster.FreePort(), null, new Hashtable { ["hot"] = NewFolder("hot"), ["cold"] = NewFolder("cold") });
        Assert.Contains(late, result.AssertError("WalCreatesTablespaceInUse").Exception.Message);
        Assert.Equal(before, Directory.GetFiles(late, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList());
        Assert.False(Directory.Exists(dir));
        _cluster.Scalar("checkpoint");
        Assert.Equal(100L, Convert.ToInt64(_cluster.Scalar("select count(*) from notes")));
    }

    public void Dispose()
    {
        foreach (var dir in _restored) ArchivingCluster.StopServer(dir);
        _cluster.Dispose();
        _ps.Dispose();
        _temp.Dispose();
    }
}
