using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.MySql;
using BackupTools.Tests.Postgres;
using BackupTools.Tests.Redis;
using BackupTools.Tests.Storage;
using BackupTools.Tests.Servers;
using Npgsql;

namespace BackupTools.Tests.Drills;

/// <summary>
/// The end-to-end drill: a primary (PostgreSQL, MariaDB, Redis and a directory) backed up by plan and copied
/// off site to S3, a DR site with its own PostgreSQL server on another port, Invoke-DrFailover pulling and restoring
/// there, then Invoke-DrFailback bringing the DR site's new writes home.
/// </summary>
/// <summary>The DR site's PostgreSQL and MariaDB servers, started once for the drill class.</summary>
public sealed class DrSiteFixture : IDisposable
{
    private readonly TempDir _temp = new();
    public DrSiteServers Servers { get; }
    public DrSiteFixture() => Servers = new DrSiteServers(_temp.Sub("dr-servers"), "postgres", "mariadb");
    public void Dispose()
    {
        Servers.Dispose();
        _temp.Dispose();
    }
}

[Collection("servers")]
public sealed class DrFailoverDrillTests : IClassFixture<DrSiteFixture>, IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly PgTestDatabase _pg = new(seed: false);
    private readonly MySqlTestDatabase _my = new(seed: false);
    private readonly string _myVar = "BT_DRILL_MY_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _drMyVar = "BT_DRILL_DRMY_" + Guid.NewGuid().ToString("N")[..8];
    private readonly DrSiteServers _dr;
    private readonly RedisInstance _primaryRedis;
    private readonly S3TestBucket _bucket = new();
    private readonly string _s3Var = "BT_DRILL_S3_" + Guid.NewGuid().ToString("N")[..8];
    private readonly RedisInstance _drRedis;
    private readonly string _redisVar = "BT_DRILL_REDIS_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _pgVar = "BT_DRILL_PG_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _drVar = "BT_DRILL_DR_" + Guid.NewGuid().ToString("N")[..8];

    public DrFailoverDrillTests(DrSiteFixture site)
    {
        _dr = site.Servers;
        _my.Execute("create table invoices(id int primary key, amount decimal(10,2)); insert into invoices values (1, 9.50), (2, 19.99), (3, 100.00)");
        Environment.SetEnvironmentVariable(_myVar, TestServers.MySql.Password);
        Environment.SetEnvironmentVariable(_drMyVar, _dr.Password("mysql"));
        _primaryRedis = new RedisInstance(_temp.Sub("primary-redis"), password: "Drill-Redis-Pass");
        _drRedis = new RedisInstance(_temp.Sub("dr-redis"), password: "Drill-Redis-Pass");
        Environment.SetEnvironmentVariable(_redisVar, "Drill-Redis-Pass");
        using (var redis = _primaryRedis.Connect())
        {
            var db = redis.GetDatabase();
            for (var i = 0; i < 500; i++) db.StringSet($"session:{i}", $"user-{i}");
        }
        _pg.Execute("create table orders(id int primary key, note text); insert into orders select g, 'order ' || g from generate_series(1, 1000) g");
        Environment.SetEnvironmentVariable(_pgVar, TestServers.Postgres.Password);
        Environment.SetEnvironmentVariable(_drVar, _dr.Password("postgres"));
        Directory.CreateDirectory(_temp.Sub("primary-files"));
        File.WriteAllText(_temp.Sub("primary-files/report.txt"), "primary data");
        Environment.SetEnvironmentVariable(_s3Var + "_ID", TestServers.S3.AccessKey);
        Environment.SetEnvironmentVariable(_s3Var + "_SECRET", TestServers.S3.SecretKey);
        var s3 = new System.Management.Automation.PSCredential(TestServers.S3.AccessKey, new System.Net.NetworkCredential("", TestServers.S3.SecretKey).SecurePassword);
        _ps.Run("foreach ($r in $repos) { Initialize-BackupRepository -Format v1 -Path $r | Out-Null }; Initialize-BackupRepository -Format v1 -Path $offsite -StorageCredential $s3 | Out-Null; New-BackupKey -Path $k | Out-Null",
            new Dictionary<string, object?> { ["repos"] = new[] { _temp.Sub("repo"), _temp.Sub("dr-repo") }, ["offsite"] = _bucket.Uri("offsite"), ["s3"] = s3, ["k"] = _temp.Sub("main.key") }).AssertNoErrors();
    }

    private string Plan()
    {
        var pg = TestServers.Postgres;
        var path = _temp.Sub("backup.yml");
        File.WriteAllText(path, $"""
            version: 1
            repository: local
            targets:
              local: {_temp.Sub("repo")}
              offsite:
                repository: OFFSITE_URI
                accessKeyId: S3_ID
                secretAccessKey: S3_SECRET
            keys:
              - file: {_temp.Sub("main.key")}
            cells:
              - name: shop
                rpo: 24h
                rto: 10min
                targets: [offsite]
                sources:
                  - name: db
                    type: postgres
                    server: {pg.Host}
                    port: {pg.Port}
                    user: {pg.User}
                    database: {_pg.Name}
                    password: PRIMARY_PASSWORD
                  - name: files
                    type: directory
                    path: {_temp.Sub("primary-files")}
                  - name: billing
                    type: mysql
                    server: 127.0.0.1
                    port: PRIMARY_MY_PORT
                    user: root
                    database: MY_DB
                    password: MY_PASSWORD
                  - name: cache
                    type: redis
                    server: 127.0.0.1
                    port: PRIMARY_REDIS_PORT
                    password: REDIS_PASSWORD
                healthChecks:
                  - name: db-port
                    tcp: 127.0.0.1:DR_PORT
            sites:
              dr:
                repository: {_temp.Sub("dr-repo")}
                syncFrom: offsite
                endpoints:
                  shop/db: DR_ENDPOINT
                  shop/files: FILES_ENDPOINT
                  shop/cache: REDIS_ENDPOINT
                  shop/billing: MY_ENDPOINT
                trafficSwitch: echo "traffic to $BACKUPTOOLS_SITE" > {_temp.Sub("switched.txt")}
                failbackSwitch: echo "traffic home" > {_temp.Sub("switched.txt")}
            """
            .Replace("PRIMARY_PASSWORD", "{ env: " + _pgVar + " }")
            .Replace("OFFSITE_URI", _bucket.Uri("offsite"))
            .Replace("S3_ID", "{ env: " + _s3Var + "_ID }")
            .Replace("S3_SECRET", "{ env: " + _s3Var + "_SECRET }")
            .Replace("PRIMARY_REDIS_PORT", _primaryRedis.Port.ToString())
            .Replace("PRIMARY_MY_PORT", TestServers.MySql.Port.ToString())
            .Replace("MY_DB", _my.Name)
            .Replace("MY_PASSWORD", "{ env: " + _myVar + " }")
            .Replace("MY_ENDPOINT", $"{{ server: 127.0.0.1, port: {_dr.Port("mysql")}, password: {{ env: {_drMyVar} }} }}")
            .Replace("REDIS_PASSWORD", "{ env: " + _redisVar + " }")
            .Replace("REDIS_ENDPOINT", $"{{ server: 127.0.0.1, port: {_drRedis.Port} }}")
            .Replace("DR_PORT", _dr.Port("postgres").ToString())
            .Replace("DR_ENDPOINT", $"{{ server: 127.0.0.1, port: {_dr.Port("postgres")}, password: {{ env: {_drVar} }} }}")
            .Replace("FILES_ENDPOINT", $"{{ path: {_temp.Sub("dr-files")} }}"));
        return path;
    }

    private static long Keys(RedisInstance redis)
    {
        using var c = redis.Connect();
        return c.GetServer($"127.0.0.1:{redis.Port}").DatabaseSize();
    }

    private long Invoices(int port, string password)
    {
        using var c = new MySqlConnector.MySqlConnection($"Server=127.0.0.1;Port={port};User ID=root;Password={password};Database={_my.Name}");
        c.Open();
        using var cmd = new MySqlConnector.MySqlCommand("select count(*) from invoices", c);
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    private long DrRows() => Count(_dr.Port("postgres"), _dr.Password("postgres"));
    private long PrimaryRows() => Count(TestServers.Postgres.Port, TestServers.Postgres.Password);

    private long Count(int port, string password)
    {
        using var c = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Password={password};Database={_pg.Name}");
        c.Open();
        using var cmd = new NpgsqlCommand("select count(*) from orders", c);
        return (long)cmd.ExecuteScalar()!;
    }

    private void OnDr(string sql)
    {
        using var c = new NpgsqlConnection($"Host=127.0.0.1;Port={_dr.Port("postgres")};Username=postgres;Password={_dr.Password("postgres")};Database={_pg.Name}");
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public void Backup_by_plan_sync_fail_over_prove_the_data_then_fail_back_with_the_dr_writes()
    {
        var plan = Plan();
        var vars = new Dictionary<string, object?> { ["plan"] = plan };
        _ps.Run("Invoke-BackupPlan $plan", vars).AssertNoErrors();

        var whatIf = _ps.Run("Invoke-DrFailover -Plan $plan -Site dr -WhatIf", vars).AssertNoErrors();
        Assert.Empty(whatIf.Output);
        Assert.False(Directory.Exists(_temp.Sub("dr-files")));

        var failover = _ps.Run("Invoke-DrFailover -Plan $plan -Site dr -Confirm:$false", vars).AssertNoErrors().Single<FailoverResult>();
        Assert.True(failover.Succeeded, failover.StoppedBecause);
        Assert.Equal(4, failover.BackupsSynced);
        Assert.Equal(1000, DrRows());
        Assert.Equal(3, Invoices(_dr.Port("mysql"), _dr.Password("mysql")));
        Assert.Equal(500, Keys(_drRedis));
        Assert.Equal(["db", "billing", "cache", "files"], failover.Cells[0].Report!.Items.Select(i => i.Source)); // databases, caches, files
        Assert.Equal("primary data", File.ReadAllText(_temp.Sub("dr-files/report.txt")));
        Assert.Equal("traffic to dr", File.ReadAllText(_temp.Sub("switched.txt")).Trim());
        var cell = Assert.Single(failover.Cells);
        Assert.Equal((true, true), (cell.RpoMet, cell.RtoMet));
        Assert.True(cell.DataAge < TimeSpan.FromMinutes(10));
        Assert.Equal([("db-port", true)], cell.Report!.HealthChecks.Select(h => (h.Name, h.Passed)));
        Assert.True(File.Exists(_temp.Sub("dr-repo/failover/active.json")));
        Assert.Contains(_ps.Run("Get-BackupAudit -Repository $r -Operation failover", new Dictionary<string, object?> { ["r"] = _temp.Sub("dr-repo") })
            .AssertNoErrors().Objects<AuditEntry>(), e => e.Succeeded);

        // The DR site serves and takes writes; failback brings them home.
        OnDr("insert into orders values (1001, 'taken at the DR site')");
        using (var dr = _drRedis.Connect()) dr.GetDatabase().StringSet("session:dr", "written at dr");
        using (var c = new MySqlConnector.MySqlConnection($"Server=127.0.0.1;Port={_dr.Port("mysql")};User ID=root;Password={_dr.Password("mysql")};Database={_my.Name}"))
        {
            c.Open();
            using var cmd = new MySqlConnector.MySqlCommand("insert into invoices values (4, 4.00)", c);
            cmd.ExecuteNonQuery();
        }
        File.WriteAllText(_temp.Sub("dr-files/report.txt"), "written at dr");
        var failback = _ps.Run("Invoke-DrFailback -Plan $plan -Site dr -Confirm:$false", vars).AssertNoErrors().Single<FailoverResult>();
        Assert.True(failback.Succeeded, failback.StoppedBecause);
        Assert.Equal(1001, PrimaryRows());
        Assert.Equal(501, Keys(_primaryRedis));
        Assert.Equal(4, Invoices(TestServers.MySql.Port, TestServers.MySql.Password));
        Assert.Equal("written at dr", File.ReadAllText(_temp.Sub("primary-files/report.txt")));
        Assert.Equal("traffic home", File.ReadAllText(_temp.Sub("switched.txt")).Trim());
        Assert.False(File.Exists(_temp.Sub("dr-repo/failover/active.json")));
    }

    [Fact]
    public void A_failing_health_check_stops_the_failover_before_traffic_moves()
    {
        var plan = Plan();
        File.WriteAllText(plan, File.ReadAllText(plan).Replace($"tcp: 127.0.0.1:{_dr.Port("postgres")}", "tcp: 127.0.0.1:1"));
        var vars = new Dictionary<string, object?> { ["plan"] = plan };
        _ps.Run("Invoke-BackupPlan $plan", vars).AssertNoErrors();
        var result = _ps.Run("Invoke-DrFailover -Plan $plan -Site dr -Confirm:$false", vars);
        result.AssertError("DrFailoverFailed");
        var failover = result.Single<FailoverResult>();
        Assert.Contains("health check db-port", failover.StoppedBecause);
        Assert.False(File.Exists(_temp.Sub("switched.txt")), "traffic must not move to a site that failed its checks");
        Assert.False(File.Exists(_temp.Sub("dr-repo/failover/active.json")));
        Assert.Null(failover.SwitchExitCode);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_pgVar, null);
        Environment.SetEnvironmentVariable(_drVar, null);
        Environment.SetEnvironmentVariable(_redisVar, null);
        Environment.SetEnvironmentVariable(_myVar, null);
        Environment.SetEnvironmentVariable(_drMyVar, null);
        Environment.SetEnvironmentVariable(_s3Var + "_ID", null);
        Environment.SetEnvironmentVariable(_s3Var + "_SECRET", null);
        _bucket.Dispose();
        _primaryRedis.Dispose();
        _drRedis.Dispose();
        _my.Dispose();
        _pg.Dispose();
        _ps.Dispose();
        _temp.Dispose();
    }
}
