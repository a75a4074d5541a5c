using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Postgres;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Plans;

/// <summary>Restore-Cell -Plan: a whole cell (a real PostgreSQL database and a directory) back to a point in time.</summary>
[Collection("servers")]
public sealed class PlanRestoreTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly PgTestDatabase _pg = new(seed: false);
    private readonly string _pgVar = "BT_RESTORE_PG_" + Guid.NewGuid().ToString("N")[..8];

    public PlanRestoreTests()
    {
        _pg.Execute("create table items(id int primary key, name text); insert into items select g, 'item ' || g from generate_series(1, 300) g");
        Environment.SetEnvironmentVariable(_pgVar, TestServers.Postgres.Password);
        Directory.CreateDirectory(Files);
        File.WriteAllText(Path.Combine(Files, "a.txt"), "version 1");
        _ps.Run("Initialize-BackupRepository -Format v1 -Path $p | Out-Null; New-BackupKey -Path $k | Out-Null",
            new Dictionary<string, object?> { ["p"] = _temp.Sub("repo"), ["k"] = _temp.Sub("main.key") }).AssertNoErrors();
    }

    private string Files => _temp.Sub("files");

    private string WritePlan(string extraCell = "")
    {
        var pg = TestServers.Postgres;
        var path = _temp.Sub("backup.yml");
        File.WriteAllText(path, $"""
            version: 1
            repository: {_temp.Sub("repo")}
            keys:
              - file: {_temp.Sub("main.key")}
            verify: {"{"} enabled: false {"}"}
            cells:
              - name: shop
                sources:
                  - name: files
                    type: directory
                    path: {Files}
                  - name: db
                    type: postgres
                    server: {pg.Host}
                    port: {pg.Port}
                    user: {pg.User}
                    database: {_pg.Name}
                    password: PASSWORD_REF
                restore:
                  beforeRestore: echo before > {_temp.Sub("hook.log")}
                  afterRestore: echo after >> {_temp.Sub("hook.log")}
                healthChecks:
                  - name: db-port
                    tcp: {pg.Host}:{pg.Port}
                  - name: file-present
                    command: test -f {Path.Combine(Files, "a.txt")}
            {extraCell}
            """.Replace("PASSWORD_REF", "{ env: " + _pgVar + " }"));
        return path;
    }

    private PsResult Ps(string script, string plan) => _ps.Run(script, new Dictionary<string, object?> { ["plan"] = plan });

    private long Rows() => Convert.ToInt64(PgTestDatabase.Scalar(_pg.Name, "select count(*) from items"));

    [Fact]
    public void A_whole_cell_goes_back_to_its_backups_in_order_with_hooks_and_health_checks()
    {
        var plan = WritePlan();
        Ps("Invoke-BackupPlan $plan", plan).AssertNoErrors();
        var backedUpAt = DateTimeOffset.UtcNow;
        Thread.Sleep(1100);
        Ps("Invoke-BackupPlan $plan", plan).AssertNoErrors(); // a later backup that -At must skip
        _pg.Execute("delete from items where id > 100");
        File.WriteAllText(Path.Combine(Files, "a.txt"), "version 2");

        var whatIf = Ps("Restore-Cell -Name shop -Plan $plan -WhatIf", plan).AssertNoErrors();
        Assert.Equal(100, Rows());
        Assert.Equal(["Planned", "Planned"], whatIf.Single<CellRestoreReport>().Items.Select(i => i.Status));

        var report = _ps.Run("Restore-Cell -Name shop -Plan $plan -At $at -Force -Confirm:$false",
            new Dictionary<string, object?> { ["plan"] = plan, ["at"] = backedUpAt }).AssertNoErrors().Single<CellRestoreReport>();

        Assert.Equal(["db", "files"], report.Items.Select(i => i.Source)); // databases first, then files
        Assert.All(report.Items, i => Assert.Equal("Restored", i.Status));
        Assert.All(report.Items, i => Assert.True(i.BackupCompletedAt <= backedUpAt));
        Assert.All(report.Items, i => Assert.NotNull(i.SafetyBackupId));
        Assert.Equal(300, Rows());
        Assert.Equal("version 1", File.ReadAllText(Path.Combine(Files, "a.txt")));
        Assert.Equal(["before", "after"], File.ReadAllLines(_temp.Sub("hook.log")));
        Assert.Equal([("db-port", true), ("file-present", true)], report.HealthChecks.Select(h => (h.Name, h.Passed)));
        Assert.True(report.Succeeded);
        Assert.True(report.DataAge > TimeSpan.Zero);
    }

    [Fact]
    public void A_failing_source_stops_the_restore_and_the_report_says_what_was_and_was_not_restored()
    {
        var plan = WritePlan();
        Ps("Invoke-BackupPlan $plan", plan).AssertNoErrors();
        File.WriteAllText(Path.Combine(Files, "a.txt"), "version 2");
        File.WriteAllText(plan, File.ReadAllText(plan).Replace("restore:", "restore:\n      order: [files, db]"));
        Environment.SetEnvironmentVariable(_pgVar, null); // the db restore cannot get its password

        var result = Ps("Restore-Cell -Name shop -Plan $plan -Force -Confirm:$false", plan);
        var error = result.AssertError("CellRestoreFailed");
        Assert.Contains("Restored: files; not restored: db", error.Exception.Message);
        var report = result.Single<CellRestoreReport>();
        Assert.Equal([("files", "Restored"), ("db", "Failed")], report.Items.Select(i => (i.Source, i.Status)));
        Assert.Equal("PlanSecretMissing", report.Items[1].ErrorId);
        Assert.Empty(report.HealthChecks);
        Assert.Equal("version 1", File.ReadAllText(Path.Combine(Files, "a.txt")));
    }

    [Fact]
    public void No_backup_at_that_time_or_an_unknown_source_restores_nothing()
    {
        var plan = WritePlan();
        Ps("Invoke-BackupPlan $plan", plan).AssertNoErrors();
        File.WriteAllText(Path.Combine(Files, "a.txt"), "version 2");
        _ps.Run("Restore-Cell -Name shop -Plan $plan -At '2001-01-01' -Confirm:$false", new Dictionary<string, object?> { ["plan"] = plan })
            .AssertError("RestorePointNotFound");
        Ps("Restore-Cell -Name shop -Plan $plan -Source cache -Confirm:$false", plan).AssertError("PlanSourceNotFound");
        Ps("Restore-Cell -Name shop -Plan $plan -Site mars -Confirm:$false", plan).AssertError("PlanSiteNotFound");
        Assert.Equal("version 2", File.ReadAllText(Path.Combine(Files, "a.txt")));
        Assert.False(File.Exists(_temp.Sub("hook.log")));
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_pgVar, null);
        _pg.Dispose();
        _ps.Dispose();
        _temp.Dispose();
    }
}
