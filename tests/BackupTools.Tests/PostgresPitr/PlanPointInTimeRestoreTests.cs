using System.Management.Automation;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.MySqlPitr;
using BackupTools.Tests.Plans;
using Npgsql;

namespace BackupTools.Tests.PostgresPitr;

/// <summary>
/// Issue 17 item 4: a plan's physical PostgreSQL source (type: postgres-cluster) and Restore-Cell -At. Each source
/// comes back to the second asked for where a log covers it — the cluster by base backup + WAL replay, a MySQL
/// database by dump + binlog replay — and a source with no log to the newest backup before it, as the report says.
/// </summary>
[Collection("servers")]
public sealed class PlanPointInTimeRestoreTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();

    public PlanPointInTimeRestoreTests()
    {
        ArchivingCluster.MakeReachable(_temp.Path);
        Ps("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null; New-BackupKey -Path $key | Out-Null").AssertNoErrors();
    }

    private PsResult Ps(string script, params (string Name, object? Value)[] extra)
    {
        var vars = new Dictionary<string, object?> { ["repo"] = _temp.Sub("repo"), ["key"] = _temp.Sub("main.key"), ["plan"] = _temp.Sub("backup.yml") };
        foreach (var (name, value) in extra) vars[name] = value;
        return _ps.Run(script, vars);
    }

    private void WritePlan(string sources) => TestPlan.Write(_temp, $"""
          - name: app
            sources:
        {sources}
        """);

    private static void Commit(ArchivingCluster cluster, int from, int to)
    {
        using var c = cluster.Connect();
        for (var i = from; i <= to; i++)
        {
            using var cmd = new NpgsqlCommand($"insert into ledger(id) values ({i})", c);
            cmd.ExecuteNonQuery();
        }
    }

    [Fact]
    public void Restore_Cell_At_recovers_a_postgres_cluster_source_by_wal_replay_and_says_a_directory_is_the_older_backup()
    {
        using var cluster = new ArchivingCluster(_temp.Sub("cluster"));
        cluster.Scalar("create table ledger(id int primary key)");
        File.WriteAllText(_temp.Sub("pg.pass"), ArchivingCluster.Password);
        Directory.CreateDirectory(_temp.Sub("files"));
        File.WriteAllText(_temp.Sub("files/a.txt"), "version 1");
        var pgCtl = $"runuser -u postgres -- {ArchivingCluster.Bin}/pg_ctl -D {cluster.DataDir} -w";
        WritePlan($"""
                  - name: db
                    type: postgres-cluster
                    server: 127.0.0.1
                    port: {cluster.Port}
                    user: postgres
                    password: {"{"} file: {_temp.Sub("pg.pass")} {"}"}
                    path: {cluster.DataDir}
                    stop: {pgCtl} -m fast stop
                    start: {pgCtl} -l {cluster.Folder}/server.log start
                  - name: files
                    type: directory
                    path: {_temp.Sub("files")}
            """);
        Commit(cluster, 1, 50);
        Ps("Invoke-BackupPlan $plan").AssertNoErrors();
        Commit(cluster, 51, 100);
        var between = Moments.NextWholeSecond();
        Commit(cluster, 101, 150);
        File.WriteAllText(_temp.Sub("files/a.txt"), "version 2");
        cluster.SwitchAndWaitArchived();
        Ps("Push-PostgresWal $spool -Cell app -Repository $repo -KeyFile $key", ("spool", cluster.Spool)).AssertNoErrors();
        var bases = Ps("Get-Backup -Repository $repo -Cell app").AssertNoErrors().Objects<BackupRecord>().Where(b => b.Engine == "postgres-base").ToList();
        Assert.Single(bases);

        var planned = Ps("Restore-Cell app -Plan $plan -At $at -WhatIf", ("at", between)).AssertNoErrors().Single<CellRestoreReport>();
        var db = planned.Items.Single(i => i.Source == "db");
        Assert.Equal(bases[0].Id, db.BackupId);
        Assert.Equal($"WAL replay of cell app to {between:u}", db.Recovery);
        Assert.StartsWith("no log to replay: the state of", planned.Items.Single(i => i.Source == "files").Recovery);
        Assert.Equal(150L, Convert.ToInt64(cluster.Scalar("select count(*) from ledger"))); // -WhatIf changed nothing

        var report = Ps("Restore-Cell app -Plan $plan -At $at -Confirm:$false", ("at", between)).AssertNoErrors().Single<CellRestoreReport>();
        Assert.True(report.Succeeded, string.Join("; ", report.Items.Select(i => $"{i.Source}: {i.Status} {i.Error}")));
        // The plan's start: brought the recovered cluster up on its own port with exactly the rows committed before -At.
        Assert.Equal(100L, Convert.ToInt64(cluster.Scalar("select count(*) from ledger")));
        Assert.Equal(100, Convert.ToInt32(cluster.Scalar("select max(id) from ledger")));
        Assert.Equal("version 1", File.ReadAllText(_temp.Sub("files/a.txt")));
        Assert.Single(Directory.GetDirectories(cluster.Folder, "data.bt-previous-*")); // the replaced cluster, kept
    }

    [Fact]
    public void Restore_Cell_At_replays_the_binlog_archive_of_the_plans_cell_onto_the_mysql_dump()
    {
        using var server = new ArchivingMariaDb(_temp.Sub("mariadb"));
        server.Execute("create database shop");
        server.Execute("create table shop.ledger(id int primary key)");
        File.WriteAllText(_temp.Sub("my.pass"), ArchivingMariaDb.Password);
        WritePlan($"""
                  - name: shop
                    type: mysql
                    server: 127.0.0.1
                    port: {server.Port}
                    user: root
                    password: {"{"} file: {_temp.Sub("my.pass")} {"}"}
                    database: shop
            """);
        void Commit(int from, int to) { for (var i = from; i <= to; i++) server.Execute($"insert into shop.ledger(id) values ({i})"); }
        Commit(1, 10);
        Ps("Invoke-BackupPlan $plan").AssertNoErrors();
        Commit(11, 20);
        var target = Moments.NextWholeSecond();
        Commit(21, 30);
        var cred = new PSCredential("root", new System.Net.NetworkCredential("", ArchivingMariaDb.Password).SecurePassword);
        Ps("Push-MySqlBinlog -Spool $spool -Cell app -Repository $repo -KeyFile $key -Server 127.0.0.1 -Port $port -Credential $cred",
            ("spool", _temp.Sub("spool")), ("port", server.Port), ("cred", cred)).AssertNoErrors();

        var planned = Ps("Restore-Cell app -Plan $plan -At $at -WhatIf", ("at", target)).AssertNoErrors().Single<CellRestoreReport>();
        Assert.Equal($"binlog replay of cell app to {target:u}", planned.Items.Single().Recovery);

        var report = Ps("Restore-Cell app -Plan $plan -At $at -Force -Confirm:$false", ("at", target)).AssertNoErrors().Single<CellRestoreReport>();
        Assert.True(report.Succeeded, string.Join("; ", report.Items.Select(i => $"{i.Source}: {i.Status} {i.Error}")));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), server.Column("select id from shop.ledger order by id"));
    }

    public void Dispose()
    {
        _ps.Dispose();
        _temp.Dispose();
    }
}
