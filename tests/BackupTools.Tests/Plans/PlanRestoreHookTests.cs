using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Postgres;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Plans;

/// <summary>Restore-Cell -Plan -RestoreHook: the hook runs in the core after each source's restore (a real PostgreSQL database and a directory).</summary>
[Collection("servers")]
public sealed class PlanRestoreHookTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly PgTestDatabase _pg = new(seed: false);
    private readonly string _pgVar = "BT_HOOK_PG_" + Guid.NewGuid().ToString("N")[..8];

    public PlanRestoreHookTests()
    {
        _pg.Execute("create table items(id int primary key); insert into items select g from generate_series(1, 50) g");
        Environment.SetEnvironmentVariable(_pgVar, TestServers.Postgres.Password);
        Directory.CreateDirectory(Files);
        File.WriteAllText(Path.Combine(Files, "a.txt"), "version 1");
        _ps.Run("Initialize-BackupRepository -Format v1 -Path $p | Out-Null; New-BackupKey -Path $k | Out-Null",
            new Dictionary<string, object?> { ["p"] = _temp.Sub("repo"), ["k"] = _temp.Sub("main.key") }).AssertNoErrors();
    }

    private string Files => _temp.Sub("files");

    private string WritePlan()
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
            """.Replace("PASSWORD_REF", "{ env: " + _pgVar + " }"));
        return path;
    }

    private PsResult Ps(string script, params (string Name, object? Value)[] variables) =>
        _ps.Run(script, variables.ToDictionary(v => v.Name, v => v.Value));

    [Fact]
    public void A_script_block_hook_runs_after_each_source_with_that_sources_restore_result()
    {
        var plan = WritePlan();
        Ps("Invoke-BackupPlan $plan", ("plan", plan)).AssertNoErrors();
        _pg.Execute("delete from items where id > 10");

        var result = Ps("$seen = [System.Collections.Generic.List[string]]::new(); " +
            "Restore-Cell -Name shop -Plan $plan -Force -Confirm:$false -RestoreHook { $seen.Add(\"$($_.Engine) $($_.RestoredId) $($_.SafetyBackupId.Length -gt 0)\"); 'hook ran' }; " +
            "$seen", ("plan", plan)).AssertNoErrors();

        var report = result.Single<CellRestoreReport>();
        var seen = result.Output.OfType<string>().ToList();
        Assert.Equal([$"postgres {report.Items[0].BackupId} True", $"directory {report.Items[1].BackupId} True"], seen);
        Assert.All(report.Items, i => Assert.True(i.Outcome!.HookSucceeded));
        Assert.All(report.Items, i => Assert.Equal("hook ran", i.Outcome!.HookOutput));
        Assert.Equal(50L, Convert.ToInt64(PgTestDatabase.Scalar(_pg.Name, "select count(*) from items")));
    }

    [Fact]
    public void A_failing_executable_hook_is_reported_per_source_and_the_data_stays_restored()
    {
        var plan = WritePlan();
        Ps("Invoke-BackupPlan $plan", ("plan", plan)).AssertNoErrors();
        _pg.Execute("delete from items where id > 10");
        var hook = _temp.Sub("hook.sh");
        var log = _temp.Sub("hook.log");
        File.WriteAllText(hook, $"#!/bin/sh\necho \"$BACKUPTOOLS_ENGINE $BACKUPTOOLS_RESTORE_ID\" >> '{log}'\necho 'service did not start' >&2\nexit 3\n");
        File.SetUnixFileMode(hook, (UnixFileMode)Convert.ToInt32("700", 8));

        var result = Ps("Restore-Cell -Name shop -Plan $plan -Force -Confirm:$false -RestoreHook $hook", ("plan", plan), ("hook", hook));

        var report = result.Single<CellRestoreReport>();
        Assert.All(report.Items, i => Assert.Equal("Restored", i.Status));
        Assert.All(report.Items, i => Assert.False(i.Outcome!.HookSucceeded));
        Assert.False(report.Succeeded);
        Assert.Equal(["RestoreHookFailed", "RestoreHookFailed"], result.ErrorIds);
        Assert.Contains("exit code 3: service did not start", result.Errors[0].Exception.Message);
        Assert.Equal([$"postgres {report.Items[0].BackupId}", $"directory {report.Items[1].BackupId}"], File.ReadAllLines(log));
        Assert.Equal(50L, Convert.ToInt64(PgTestDatabase.Scalar(_pg.Name, "select count(*) from items")));
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_pgVar, null);
        _ps.Dispose();
        _pg.Dispose();
        _temp.Dispose();
    }
}
