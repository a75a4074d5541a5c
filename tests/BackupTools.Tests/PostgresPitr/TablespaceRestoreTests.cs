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
            Run("Initialize-BackupRepository -Path $repo | Out-Null; New-BackupKey -Path $key | Out-Null").AssertNoErrors();
            Exec($"create tablespace hot location '{_hot}'");
            Exec($"create tablespace cold location '{_cold}'");
            Exec("create table orders(id int primary key, at timestamptz not null default clock_timestamp()) tablespace hot");
            Exec("create table archive(id int primary key, note text) tablespace cold");
            Exec("insert into archive select g, repeat('x', 200) from generate_series(1, 5000) g");
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
            ["cred"] = new PSCredential("postgres", new System.Net.NetworkCredential("", ArchivingCluster.Password).SecurePassword),
        };
        foreach (var (name, value) in extra) vars[name] = value;
        return _ps.Run(script, vars);
    }

    private void Exec(string sql)
    {
        using var c = _cluster.Connect();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
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

    public void Dispose()
    {
        foreach (var dir in _restored) ArchivingCluster.StopServer(dir);
        _cluster.Dispose();
        _ps.Dispose();
        _temp.Dispose();
    }
}
