using BackupTools.Core.Operations;
using BackupTools.Core.Plans;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.RabbitMq;
using BackupTools.Tests.Servers;
using BackupTools.Tests.Storage;

namespace BackupTools.Tests.Plans;

/// <summary>
/// Invoke-BackupPlan then Restore-Cell -Plan with the middleware source kinds — a dump command (sqlite3), an S3
/// bucket prefix (the test S3 server) and RabbitMQ definitions (the test broker) — in one cell, declared in the
/// opposite of their restore order: databases (command) first, then caches/brokers, then files (s3bucket).
/// </summary>
[Collection("servers")]
public sealed class PlanMiddlewareSourcesTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly S3TestBucket _bucket = new();
    private readonly string _vhost = "plan-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _s3Var = "BT_PLAN_S3_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _mqVar = "BT_PLAN_MQ_" + Guid.NewGuid().ToString("N")[..8];

    public PlanMiddlewareSourcesTests()
    {
        Environment.SetEnvironmentVariable(_s3Var, TestServers.S3.SecretKey);
        Environment.SetEnvironmentVariable(_mqVar, RabbitMqBroker.Password);
        _ps.Run("Initialize-BackupRepository -Format v1 -Path $p | Out-Null; New-BackupKey -Path $k | Out-Null",
            new Dictionary<string, object?> { ["p"] = _temp.Sub("repo"), ["k"] = _temp.Sub("main.key") }).AssertNoErrors();
        Sqlite(Db, "create table t(id integer primary key, name text); insert into t(name) select 'row ' || value from generate_series(1, 200);");
        PutObject("photos/a.txt", "photo a");
        PutObject("photos/b/c.txt", "photo c");
        RabbitMqBroker.Put($"api/vhosts/{V}", "{}");
        RabbitMqBroker.Put($"api/queues/{V}/orders", """{"durable":true,"arguments":{}}""");
    }

    private string Db => _temp.Sub("app.db");
    private string V => Uri.EscapeDataString(_vhost);
    private string PhotosUri => _bucket.Uri("photos");
    private string RestoreCommand => $"rm -f '{Db}' && sqlite3 '{Db}'";

    private string WritePlan()
    {
        var path = _temp.Sub("backup.yml");
        File.WriteAllText(path, $"""
            version: 1
            repository: {_temp.Sub("repo")}
            keys:
              - file: {_temp.Sub("main.key")}
            verify: {"{"} enabled: false {"}"}
            cells:
              - name: mw
                sources:
                  - name: photos
                    type: s3bucket
                    uri: "{PhotosUri}"
                    user: {TestServers.S3.AccessKey}
                    password: {"{"} env: {_s3Var} {"}"}
                  - name: mq
                    type: rabbitmq
                    url: {RabbitMqBroker.Url}
                    vhost: {_vhost}
                    user: {RabbitMqBroker.User}
                    password: {"{"} env: {_mqVar} {"}"}
                  - name: app
                    type: command
                    command: "sqlite3 '{Db}' .dump"
                    verify: "sqlite3 -bail :memory:"
                    restore: "{RestoreCommand}"
            """);
        return path;
    }

    private PsResult Ps(string script, string plan) => _ps.Run(script, new Dictionary<string, object?> { ["plan"] = plan });

    private void PutObject(string key, string content) =>
        _bucket.Client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = _bucket.Name, Key = key, ContentBody = content }).GetAwaiter().GetResult();

    private List<string> PhotoKeys() => _bucket.AllKeys().Where(k => k.StartsWith("photos/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    private static string Sqlite(string db, string sql)
    {
        var start = new System.Diagnostics.ProcessStartInfo("sqlite3", [db, sql]) { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output.Trim();
    }

    /// <summary>Backs the cell up, then changes every source: rows deleted, the queue deleted, an object deleted and one added.</summary>
    private string BackUpAndChange()
    {
        var plan = WritePlan();
        var run = Ps("Invoke-BackupPlan $plan", plan).AssertNoErrors();
        Assert.Equal(["command", "rabbitmq", "s3bucket"], run.Objects<PlanSourceResult>().Select(r => r.Record!.Engine).Order());
        Sqlite(Db, "delete from t where id > 10");
        RabbitMqBroker.Delete($"api/queues/{V}/orders");
        _bucket.Client.DeleteObjectAsync(_bucket.Name, "photos/a.txt").GetAwaiter().GetResult();
        PutObject("photos/new.txt", "added after the backup");
        return plan;
    }

    [Fact]
    public void WhatIf_names_each_destination_in_restore_order_and_changes_nothing()
    {
        var plan = BackUpAndChange();
        string? question = null;
        var report = new PlanCellRestorer(NullObserver.Instance).Run(new PlanCellRestoreRequest(PlanLoader.LoadValid(plan), "mw", null, null, null, false, false,
            TimeSpan.Zero, (_, action) => { question = action; return false; }), CancellationToken.None);

        Assert.Equal([("app", "command"), ("mq", "rabbitmq"), ("photos", "s3bucket")], report.Items.Select(i => (i.Source, i.Kind)));
        Assert.All(report.Items, i => Assert.Equal("Planned", i.Status));
        Assert.Equal([$"command: {RestoreCommand}", $"{RabbitMqBroker.Url} vhost {_vhost}", PhotosUri], report.Items.Select(i => i.Destination));
        Assert.NotNull(question);
        var positions = report.Items.Select(i => question!.IndexOf($"{i.Source} ({i.Kind}) ← {i.BackupId} into {i.Destination}", StringComparison.Ordinal)).ToList();
        Assert.All(positions, p => Assert.True(p >= 0, question));
        Assert.Equal(positions.Order(), positions); // the question lists them in restore order

        var whatIf = Ps("Restore-Cell -Name mw -Plan $plan -WhatIf", plan).AssertNoErrors().Single<CellRestoreReport>();
        Assert.All(whatIf.Items, i => Assert.Equal("Planned", i.Status));
        Assert.Equal("10", Sqlite(Db, "select count(*) from t"));
        Assert.Equal(["photos/b/c.txt", "photos/new.txt"], PhotoKeys());
        Assert.Equal(404, RabbitMqBroker.Get($"api/queues/{V}/orders").Status);
    }

    [Fact]
    public void Restore_cell_At_restores_each_source_as_of_that_moment_in_restore_order()
    {
        var plan = BackUpAndChange(); // first backups: 200 rows, the queue, photos a + c
        var first = _ps.Run("Get-Backup -Repository $repo", new Dictionary<string, object?> { ["repo"] = _temp.Sub("repo") }).AssertNoErrors().Objects<BackupRecord>().Select(r => r.Id).ToHashSet();
        Thread.Sleep(1100); // backup times have whole-second precision in -At comparisons
        var between = DateTimeOffset.UtcNow;
        Thread.Sleep(1100);
        Ps("Invoke-BackupPlan $plan", plan).AssertNoErrors(); // second backups: 10 rows, no queue, photos c + new

        var report = _ps.Run("Restore-Cell -Name mw -Plan $plan -At $at -Confirm:$false",
            new Dictionary<string, object?> { ["plan"] = plan, ["at"] = between }).AssertNoErrors().Single<CellRestoreReport>();

        Assert.Equal(["app", "mq", "photos"], report.Items.Select(i => i.Source));
        Assert.All(report.Items, i => Assert.Contains(i.BackupId!, first)); // the backups before -At, not the newer ones
        Assert.All(report.Items, i => Assert.StartsWith("no log to replay: the state of", i.Recovery));
        Assert.All(report.Items, i => Assert.Equal("Restored", i.Status));
        Assert.Equal("200", Sqlite(Db, "select count(*) from t"));
        Assert.Equal(200, RabbitMqBroker.Get($"api/queues/{V}/orders").Status);
        Assert.Equal(["photos/a.txt", "photos/b/c.txt"], PhotoKeys());
    }

    [Fact]
    public void Restore_cell_brings_every_source_back_in_restore_order_each_after_a_safety_backup()
    {
        var plan = BackUpAndChange();

        var report = Ps("Restore-Cell -Name mw -Plan $plan -Confirm:$false", plan).AssertNoErrors().Single<CellRestoreReport>();

        Assert.Equal(["app", "mq", "photos"], report.Items.Select(i => i.Source));
        Assert.All(report.Items, i => Assert.Equal("Restored", i.Status));
        Assert.True(report.Succeeded);
        Assert.Equal(["command", "rabbitmq", "s3bucket"], report.Items.Select(i => i.Outcome!.Engine));
        Assert.All(report.Items, i => Assert.NotNull(i.SafetyBackupId));
        Assert.All(report.Items, i => Assert.Equal(i.SafetyBackupId, i.Outcome!.SafetyBackupId));
        Assert.Equal("200", Sqlite(Db, "select count(*) from t"));
        Assert.Equal(200, RabbitMqBroker.Get($"api/queues/{V}/orders").Status);
        Assert.Equal(["photos/a.txt", "photos/b/c.txt"], PhotoKeys());

        // The safety backups hold what was replaced, tagged as such, in the cell.
        var records = _ps.Run("Get-Backup -Repository $repo -IncludeSafety -Cell mw | Where-Object IsSafetyBackup",
            new Dictionary<string, object?> { ["repo"] = _temp.Sub("repo") }).AssertNoErrors().Objects<BackupRecord>().ToList();
        Assert.Equal(["command", "rabbitmq", "s3bucket"], records.Select(r => r.Engine).Order());
        Assert.All(records, r => Assert.Contains(r.Id, report.Items.Select(i => i.SafetyBackupId)));

        // Every engine's restore audit entry names the backup restored and its safety backup, the same way.
        var audit = _ps.Run("Get-BackupAudit -Repository $repo", new Dictionary<string, object?> { ["repo"] = _temp.Sub("repo") })
            .AssertNoErrors().Objects<AuditEntry>().Where(e => e.Operation == "restore").ToList();
        foreach (var item in report.Items)
        {
            var entry = Assert.Single(audit, e => e.Ids.Contains(item.BackupId));
            Assert.Equal([item.BackupId!, item.SafetyBackupId!], entry.Ids);
            Assert.EndsWith($"; safety backup {item.SafetyBackupId}", entry.Message);
        }
    }

    [Fact]
    public void SkipSafetyBackup_reaches_every_kind_of_source_in_the_plan()
    {
        var plan = BackUpAndChange();

        var result = Ps("Restore-Cell -Name mw -Plan $plan -SkipSafetyBackup -Confirm:$false", plan).AssertNoErrors();

        var report = result.Single<CellRestoreReport>();
        Assert.All(report.Items, i => Assert.Equal("Restored", i.Status));
        Assert.All(report.Items, i => Assert.Null(i.SafetyBackupId));
        Assert.All(report.Items, i => Assert.True(i.Outcome!.SafetyBackupSkipped, i.Source));
        Assert.All(report.Items, i => Assert.Contains(i.Outcome!.Warnings, w => w.StartsWith("-SkipSafetyBackup:")));
        Assert.Equal(3, result.Warnings.Count(w => w.StartsWith("-SkipSafetyBackup:")));
        Assert.Empty(_ps.Run("Get-Backup -Repository $repo -IncludeSafety | Where-Object IsSafetyBackup",
            new Dictionary<string, object?> { ["repo"] = _temp.Sub("repo") }).AssertNoErrors().Output);
        Assert.Equal(["photos/a.txt", "photos/b/c.txt"], PhotoKeys());
    }

    public void Dispose()
    {
        RabbitMqBroker.Delete($"api/vhosts/{V}");
        Environment.SetEnvironmentVariable(_s3Var, null);
        Environment.SetEnvironmentVariable(_mqVar, null);
        _bucket.Dispose();
        _ps.Dispose();
        _temp.Dispose();
    }
}
