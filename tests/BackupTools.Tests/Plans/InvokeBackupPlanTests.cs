using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.MySql;
using BackupTools.Tests.Postgres;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Plans;

/// <summary>Invoke-BackupPlan against the real PostgreSQL and MariaDB servers and a directory: one plan, every step.</summary>
[Collection("servers")]
public sealed class InvokeBackupPlanTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly PgTestDatabase _pg = new(seed: false);
    private readonly MySqlTestDatabase _my = new(seed: false);
    private readonly string _pgVar = "BT_PLAN_PG_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _myVar = "BT_PLAN_MY_" + Guid.NewGuid().ToString("N")[..8];

    public InvokeBackupPlanTests()
    {
        _pg.Execute("create table items(id int primary key, name text); insert into items select g, 'item ' || g from generate_series(1, 500) g");
        _my.Execute("create table orders(id int primary key, note varchar(50)); insert into orders values (1, 'a'), (2, 'b'), (3, 'c')");
        Environment.SetEnvironmentVariable(_pgVar, TestServers.Postgres.Password);
        File.WriteAllText(_temp.Sub("mysql.pass"), TestServers.MySql.Password + "\n");
        Directory.CreateDirectory(_temp.Sub("files"));
        File.WriteAllText(_temp.Sub("files/a.txt"), "hello");
        Directory.CreateDirectory(_temp.Sub("textfile"));
        _ps.Run("Initialize-BackupRepository -Format v1 -Path $p | Out-Null; Initialize-BackupRepository -Format v1 -Path $n | Out-Null; New-BackupKey -Path $k | Out-Null",
            new Dictionary<string, object?> { ["p"] = _temp.Sub("repo"), ["n"] = _temp.Sub("nas"), ["k"] = _temp.Sub("main.key") }).AssertNoErrors();
    }

    private string WritePlan(string filesPath, string alerts = "")
    {
        var pg = TestServers.Postgres;
        var my = TestServers.MySql;
        var path = _temp.Sub("backup.yml");
        File.WriteAllText(path, $"""
            version: 1
            repository: local
            targets:
              local: {_temp.Sub("repo")}
              nas: {_temp.Sub("nas")}
            keys:
              - file: {_temp.Sub("main.key")}
            retention:
              keepLast: 1
            metrics: {_temp.Sub("textfile/backup.prom")}
            ALERTS
            cells:
              - name: shop
                priority: 1
                rpo: 24h
                targets: [nas]
                sources:
                  - name: db
                    type: postgres
                    server: {pg.Host}
                    port: {pg.Port}
                    user: {pg.User}
                    database: {_pg.Name}
                    password: [[ENVPG]]
                  - name: orders
                    type: mysql
                    server: {my.Host}
                    port: {my.Port}
                    user: {my.User}
                    database: {_my.Name}
                    password: [[FILEMY]]
              - name: web
                priority: 2
                sources:
                  - name: files
                    type: directory
                    path: {filesPath}
            """.Replace("[[ENVPG]]", $"{{ env: {_pgVar} }}").Replace("[[FILEMY]]", $"{{ file: {_temp.Sub("mysql.pass")} }}").Replace("ALERTS", alerts));
        return path;
    }

    private PsResult Invoke(string plan, string extra = "") =>
        _ps.Run($"Invoke-BackupPlan -Path $plan {extra}", new Dictionary<string, object?> { ["plan"] = plan });

    [Fact]
    public void A_plan_backs_up_verifies_copies_prunes_and_exports_metrics_for_every_source()
    {
        var plan = WritePlan(_temp.Sub("files"));
        Invoke(plan).AssertNoErrors();
        var second = Invoke(plan).AssertNoErrors();

        var sources = second.Objects<PlanSourceResult>().ToList();
        Assert.Equal(["shop/db", "shop/orders", "web/files"], sources.Select(s => $"{s.Cell}/{s.Source}"));
        Assert.All(sources, s => Assert.True(s.Succeeded && s.Verified == true, s.ToString()));
        Assert.Equal(["nas"], sources[0].CopiedTo);
        Assert.Empty(sources[2].CopiedTo);
        Assert.Equal(["postgres", "mysql", "directory"], sources.Select(s => s.Record!.Engine));
        var summary = second.Single<PlanRunSummary>();
        Assert.Equal((3, 3, 0), (summary.Sources, summary.Succeeded, summary.Failed));
        Assert.Equal(5, summary.BackupsDeleted); // keepLast 1: the first run's 3 backups leave the primary, and shop's 2 copies leave the nas

        var listed = _ps.Run("Get-Backup -Repository $r", new Dictionary<string, object?> { ["r"] = _temp.Sub("repo") }).AssertNoErrors().Objects<BackupRecord>().ToList();
        Assert.Equal(sources.Select(s => s.BackupId).Order(), listed.Select(r => r.Id).Order());
        var onNas = _ps.Run("Get-Backup -Repository $r", new Dictionary<string, object?> { ["r"] = _temp.Sub("nas") }).AssertNoErrors().Objects<BackupRecord>().ToList();
        Assert.Equal(["postgres", "mysql"], onNas.OrderBy(r => r.Engine == "mysql").Select(r => r.Engine));
        Assert.Contains("backup_healthy{", File.ReadAllText(_temp.Sub("textfile/backup.prom")));
        Assert.All(listed, r => Assert.False(string.IsNullOrEmpty(r.KeyId)));
        // Every engine's record says which plan source it is (restores of a cell find each source's backup by it).
        Assert.Equal(["shop/db", "shop/orders", "web/files"],
            listed.OrderBy(r => r.Cell).ThenBy(r => r.Tags["plan-source"]).Select(r => $"{r.Cell}/{r.Tags["plan-source"]}"));
    }

    [Fact]
    public async Task One_failing_source_does_not_stop_the_others_and_the_summary_says_what_failed()
    {
        using var hook = new System.Net.HttpListener();
        var port = FreePort();
        hook.Prefixes.Add($"http://127.0.0.1:{port}/");
        hook.Start();
        var received = Task.Run(() =>
        {
            var context = hook.GetContext();
            using var reader = new StreamReader(context.Request.InputStream);
            var body = reader.ReadToEnd();
            context.Response.StatusCode = 200;
            context.Response.Close();
            return body;
        });
        Environment.SetEnvironmentVariable("BACKUPTOOLS_ALERT_LOG", _temp.Sub("alerts.jsonl"));
        Environment.SetEnvironmentVariable(_pgVar + "_HOOK", $"http://127.0.0.1:{port}/alert?token=Hook-Token-Secret");
        var plan = WritePlan(_temp.Sub("no-such-folder"), $"alerts:\n  - {{ type: webhook, url: {{ env: {_pgVar}_HOOK }} }}");
        Environment.SetEnvironmentVariable(_pgVar, null); // the postgres password variable is missing too
        var result = Invoke(plan, "-SkipRetention");

        var sources = result.Objects<PlanSourceResult>().ToDictionary(s => s.Source);
        Assert.True(sources["orders"].Succeeded, sources["orders"].ToString());
        Assert.Equal(("backup", "PlanSecretMissing"), (sources["db"].FailedStep, sources["db"].ErrorId));
        Assert.Contains(_pgVar, sources["db"].Error);
        Assert.Equal(("backup", "CellPathNotFound"), (sources["files"].FailedStep, sources["files"].ErrorId));
        var summary = result.Single<PlanRunSummary>();
        Assert.Equal((3, 1, 2), (summary.Sources, summary.Succeeded, summary.Failed));
        Assert.Contains(summary.Failures, f => f.StartsWith("shop/db backup: PlanSecretMissing:"));
        Assert.Contains(summary.Failures, f => f.StartsWith("web/files backup: CellPathNotFound:"));
        Assert.Equal(["BackupPlanStepFailed", "BackupPlanStepFailed"], result.ErrorIds);
        Assert.DoesNotContain(TestServers.MySql.Password, string.Join("\n", summary.Failures));

        Assert.True(await Task.WhenAny(received, Task.Delay(TimeSpan.FromSeconds(30))) == received, "the webhook never received the alert");
        var alert = await received;
        Assert.Contains("web/files", alert);
        Assert.Contains("CellPathNotFound", alert);
        Assert.Contains("PlanSecretMissing", alert);
        Assert.DoesNotContain("Hook-Token-Secret", File.ReadAllText(_temp.Sub("alerts.jsonl")));
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public void WhatIf_backs_up_nothing_and_an_unknown_cell_or_invalid_plan_is_refused()
    {
        var plan = WritePlan(_temp.Sub("files"));
        Invoke(plan, "-WhatIf").AssertNoErrors();
        Assert.Empty(_ps.Run("Get-Backup -Repository $r", new Dictionary<string, object?> { ["r"] = _temp.Sub("repo") }).Output);
        Invoke(plan, "-Cell nope").AssertError("PlanCellNotFound");
        File.AppendAllText(plan, "bogus: 1\n");
        Invoke(plan).AssertError("BackupPlanInvalid");
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_pgVar, null);
        Environment.SetEnvironmentVariable(_pgVar + "_HOOK", null);
        Environment.SetEnvironmentVariable("BACKUPTOOLS_ALERT_LOG", null);
        _pg.Dispose();
        _my.Dispose();
        _ps.Dispose();
        _temp.Dispose();
    }
}
