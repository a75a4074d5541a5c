using System.Diagnostics;
using System.Text.Json;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Drills;

/// <summary>
/// DR sites as they really are (issue 22), on directory sources so no extra servers are needed: the marker and
/// audit entry come before the traffic switch, one plan's checks serve two sites, and a damaged copy at the site
/// is re-pulled. The Redis-over-the-network restore is in Redis/RedisReplayRestoreTests.
/// </summary>
public sealed class DrSiteTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();

    public DrSiteTests()
    {
        Directory.CreateDirectory(_temp.Sub("primary-files"));
        File.WriteAllText(_temp.Sub("primary-files/report.txt"), "primary data");
        _ps.Run("foreach ($r in $repos) { Initialize-BackupRepository -Format v1 -Path $r | Out-Null }; New-BackupKey -Path $k | Out-Null",
            new Dictionary<string, object?> { ["repos"] = new[] { _temp.Sub("repo"), _temp.Sub("offsite"), _temp.Sub("dr-repo"), _temp.Sub("dr2-repo") }, ["k"] = _temp.Sub("main.key") })
            .AssertNoErrors();
    }

    private string Plan(string trafficSwitch = "true", string checks = "")
    {
        var path = _temp.Sub("backup.yml");
        File.WriteAllText(path, $"""
            version: 1
            repository: local
            targets:
              local: {_temp.Sub("repo")}
              offsite: {_temp.Sub("offsite")}
            keys:
              - file: {_temp.Sub("main.key")}
            cells:
              - name: shop
                targets: [offsite]
                sources:
                  - name: files
                    type: directory
                    path: {_temp.Sub("primary-files")}
            {checks}
            sites:
              dr:
                repository: {_temp.Sub("dr-repo")}
                syncFrom: offsite
                endpoints:
                  shop/files: DR_FILES
                trafficSwitch: {trafficSwitch}
              dr2:
                repository: {_temp.Sub("dr2-repo")}
                syncFrom: offsite
                endpoints:
                  shop/files: DR2_FILES
            """.Replace("DR2_FILES", $"{{ path: {_temp.Sub("dr2-files")} }}").Replace("DR_FILES", $"{{ path: {_temp.Sub("dr-files")} }}"));
        return path;
    }

    private PsResult Run(string script, string plan) => _ps.Run(script, new Dictionary<string, object?> { ["plan"] = plan, ["dr"] = _temp.Sub("dr-repo") });

    [Fact]
    public void A_runner_killed_during_the_traffic_switch_leaves_the_marker_and_an_audit_entry_saying_switching()
    {
        // The switch kills the runner that runs it ($PPID of the shell is the runner): as a SIGKILL or a reboot mid-switch would.
        var plan = Plan(trafficSwitch: "kill -9 $PPID");
        Run("Invoke-BackupPlan $plan", plan).AssertNoErrors();

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "bin", "runner", "btrun.dll"));
        psi.ArgumentList.Add("-Command");
        psi.ArgumentList.Add($"Invoke-DrFailover -Plan '{plan}' -Site dr -Confirm:$false");
        using (var runner = Process.Start(psi)!)
        {
            _ = runner.StandardOutput.ReadToEndAsync();
            _ = runner.StandardError.ReadToEndAsync();
            Assert.True(runner.WaitForExit(120_000), "the runner hung");
            Assert.Equal(137, runner.ExitCode); // killed by the switch
        }

        Assert.Equal("primary data", File.ReadAllText(_temp.Sub("dr-files/report.txt")));
        using var marker = JsonDocument.Parse(File.ReadAllText(_temp.Sub("dr-repo/failover/active.json")));
        Assert.Equal("switching", marker.RootElement.GetProperty("state").GetString());
        Assert.Equal("dr", marker.RootElement.GetProperty("site").GetString());
        var audit = Run("Get-BackupAudit -Repository $dr -Operation failover", plan).AssertNoErrors().Objects<AuditEntry>().ToList();
        Assert.Equal(["Switching"], audit.Select(e => e.Result));
    }

    [Fact]
    public void A_completed_switch_marks_the_site_active_after_the_switching_entry()
    {
        var plan = Plan(trafficSwitch: $"grep -q switching {_temp.Sub("dr-repo/failover/active.json")}"); // the marker is there before the switch runs
        Run("Invoke-BackupPlan $plan", plan).AssertNoErrors();
        var failover = Run("Invoke-DrFailover -Plan $plan -Site dr -Confirm:$false", plan).AssertNoErrors().Single<FailoverResult>();
        Assert.True(failover.Succeeded, failover.StoppedBecause);
        using var marker = JsonDocument.Parse(File.ReadAllText(_temp.Sub("dr-repo/failover/active.json")));
        Assert.Equal("active", marker.RootElement.GetProperty("state").GetString());
        var audit = Run("Get-BackupAudit -Repository $dr -Operation failover", plan).AssertNoErrors().Objects<AuditEntry>().OrderBy(e => e.At).ToList();
        Assert.Equal(["Switching", "Succeeded"], audit.Select(e => e.Result));
    }

    [Fact]
    public void One_check_written_once_runs_against_each_sites_own_endpoint()
    {
        var log = _temp.Sub("checks.log");
        var plan = Plan(checks: $$$"""
                healthChecks:
                  - name: files-there
                    command: 'test -f ${endpoint.files.path}/report.txt && echo "$BACKUPTOOLS_SITE $BACKUPTOOLS_CELL ${site} ${endpoint.files.path}" >> {{{log}}}'
            """);
        Run("Invoke-BackupPlan $plan", plan).AssertNoErrors();
        foreach (var site in new[] { "dr", "dr2" })
        {
            var failover = _ps.Run("Invoke-DrFailover -Plan $plan -Site $site -Confirm:$false", new Dictionary<string, object?> { ["plan"] = plan, ["site"] = site })
                .AssertNoErrors().Single<FailoverResult>();
            Assert.True(failover.Succeeded, failover.StoppedBecause);
        }
        Assert.Equal([$"dr shop dr {_temp.Sub("dr-files")}", $"dr2 shop dr2 {_temp.Sub("dr2-files")}"], File.ReadAllLines(log));
    }

    [Fact]
    public void A_placeholder_naming_no_source_is_a_plan_error_with_its_location()
    {
        var plan = Plan(checks: """
                healthChecks:
                  - name: db
                    tcp: ${endpoint.db.host}:${endpoint.db.port}
            """);
        var result = Run("Test-BackupPlan $plan", plan);
        var text = string.Join(" | ", result.Errors.Select(e => e.Exception.Message)) + string.Join(" | ", result.Output.Select(o => o?.ToString()));
        Assert.Contains("healthChecks[0]", text);
        Assert.Contains("names no source of cell shop", text);
    }

    [Fact]
    public void A_damaged_copy_at_the_site_is_fetched_again_and_the_failover_succeeds_with_a_warning_naming_it()
    {
        var plan = Plan();
        Run("Invoke-BackupPlan $plan", plan).AssertNoErrors();
        var record = _ps.Run("Get-Backup -Repository $o", new Dictionary<string, object?> { ["o"] = _temp.Sub("offsite") }).AssertNoErrors().Single<BackupRecord>();
        _ps.Run("Sync-BackupRepository -Source $o -Destination $dr | Out-Null", new Dictionary<string, object?> { ["o"] = _temp.Sub("offsite"), ["dr"] = _temp.Sub("dr-repo") }).AssertNoErrors();
        var data = Directory.GetFiles(_temp.Sub($"dr-repo/backups/{record.Id}")).First(f => !f.EndsWith("manifest.json") && !f.Contains("index"));
        var bytes = File.ReadAllBytes(data);
        bytes[bytes.Length / 2] ^= 0xff; // same size: only a re-read finds it
        File.WriteAllBytes(data, bytes);

        var result = Run("Invoke-DrFailover -Plan $plan -Site dr -Confirm:$false", plan);
        var failover = result.AssertNoErrors().Single<FailoverResult>();
        Assert.True(failover.Succeeded, failover.StoppedBecause);
        Assert.Equal(1, failover.BackupsSynced);
        Assert.Contains(result.Warnings, w => w.Contains(record.Id) && w.Contains("damaged"));
        Assert.Equal("primary data", File.ReadAllText(_temp.Sub("dr-files/report.txt")));
    }

    [Fact]
    public void Sync_with_RepairDamaged_reports_the_repaired_backup_and_a_plain_sync_leaves_it_alone()
    {
        var plan = Plan();
        Run("Invoke-BackupPlan $plan", plan).AssertNoErrors();
        var record = _ps.Run("Get-Backup -Repository $o", new Dictionary<string, object?> { ["o"] = _temp.Sub("offsite") }).AssertNoErrors().Single<BackupRecord>();
        var vars = new Dictionary<string, object?> { ["o"] = _temp.Sub("offsite"), ["dr"] = _temp.Sub("dr-repo") };
        _ps.Run("Sync-BackupRepository -Source $o -Destination $dr", vars).AssertNoErrors();
        var data = Directory.GetFiles(_temp.Sub($"dr-repo/backups/{record.Id}")).First(f => !f.EndsWith("manifest.json"));
        var bytes = File.ReadAllBytes(data);
        bytes[bytes.Length / 2] ^= 0xff;
        File.WriteAllBytes(data, bytes);

        Assert.Equal(SyncAction.Skipped, _ps.Run("Sync-BackupRepository -Source $o -Destination $dr", vars).AssertNoErrors().Single<SyncResult>().Action);
        Assert.Equal(SyncAction.Repaired, _ps.Run("Sync-BackupRepository -Source $o -Destination $dr -RepairDamaged", vars).AssertNoErrors().Single<SyncResult>().Action);
        _ps.Run("Test-BackupIntegrity -Repository $dr -Id $id -KeyFile $k", new Dictionary<string, object?>(vars) { ["id"] = record.Id, ["k"] = _temp.Sub("main.key") }).AssertNoErrors();
    }

    public void Dispose()
    {
        _ps.Dispose();
        _temp.Dispose();
    }
}
