using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Redis;

namespace BackupTools.Tests.Plans;

/// <summary>
/// A plan source (or a site's endpoint) says how its server stops and starts (issue 22 item 5): Restore-Cell -Plan
/// runs those commands around a restore that needs them — a Redis file swap, a directory a service holds open.
/// </summary>
[Collection("servers")]
public sealed class PlanServiceControlTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly RedisInstance _redis;

    public PlanServiceControlTests()
    {
        _redis = new RedisInstance(_temp.Sub("redis"));
        Directory.CreateDirectory(_temp.Sub("files"));
        File.WriteAllText(_temp.Sub("files/a.txt"), "version 1");
        _ps.Run("Initialize-BackupRepository -Format v1 -Path $p | Out-Null; New-BackupKey -Path $k | Out-Null",
            new Dictionary<string, object?> { ["p"] = _temp.Sub("repo"), ["k"] = _temp.Sub("main.key") }).AssertNoErrors();
    }

    private string Log => _temp.Sub("control.log");

    private string Plan(string redisControl, string filesControl)
    {
        var path = _temp.Sub("backup.yml");
        File.WriteAllText(path, $"""
            version: 1
            repository: {_temp.Sub("repo")}
            keys:
              - file: {_temp.Sub("main.key")}
            verify: {"{"} enabled: false {"}"}
            cells:
              - name: app
                sources:
                  - name: cache
                    type: redis
                    server: 127.0.0.1
                    port: {_redis.Port}
            {redisControl}
                  - name: files
                    type: directory
                    path: {_temp.Sub("files")}
            {filesControl}
            """);
        return path;
    }

    private PsResult Ps(string script, string plan) => _ps.Run(script, new Dictionary<string, object?> { ["plan"] = plan });

    [Fact]
    public void Restore_runs_each_sources_stop_and_start_commands_around_its_restore()
    {
        var plan = Plan(
            $"        stop: echo \"stop $BACKUPTOOLS_SOURCE\" >> {Log}; redis-cli -p {_redis.Port} shutdown nosave\n" +
            $"        start: echo \"start $BACKUPTOOLS_SOURCE\" >> {Log}; redis-server {_redis.ConfigPath}",
            $"        stop: echo \"stop $BACKUPTOOLS_SOURCE\" >> {Log}\n" +
            $"        start: echo \"start $BACKUPTOOLS_SOURCE $(cat {_temp.Sub("files/a.txt")})\" >> {Log}");
        using (var c = _redis.Connect()) c.GetDatabase(0).StringSet("k", "backed up");
        Ps("Invoke-BackupPlan $plan", plan).AssertNoErrors();
        using (var c = _redis.Connect()) c.GetDatabase(0).StringSet("k", "changed");
        File.WriteAllText(_temp.Sub("files/a.txt"), "version 2");

        var report = Ps("Restore-Cell -Name app -Plan $plan -Confirm:$false", plan).AssertNoErrors().Single<CellRestoreReport>();
        Assert.True(report.Succeeded);
        // The files' start ran after the swap (it saw the restored content); Redis was stopped and started by the plan's commands.
        Assert.Equal(["stop cache", "start cache", "stop files", "start files version 1"], File.ReadAllLines(Log));
        using (var c = _redis.Connect()) Assert.Equal("backed up", (string?)c.GetDatabase(0).StringGet("k"));
    }

    [Fact]
    public void A_stop_without_a_start_is_a_plan_error()
    {
        var plan = Plan("        stop: systemctl stop redis-server", "");
        var result = Ps("Test-BackupPlan $plan", plan);
        var text = string.Join(" | ", result.Errors.Select(e => e.Exception.Message)) + string.Join(" | ", result.Output.Select(o => o?.ToString()));
        Assert.Contains("stop and start go together", text);
    }

    public void Dispose()
    {
        _redis.Dispose();
        _ps.Dispose();
        _temp.Dispose();
    }
}
