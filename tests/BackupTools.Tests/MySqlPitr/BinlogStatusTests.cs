using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Operations;

namespace BackupTools.Tests.MySqlPitr;

/// <summary>
/// Get-BackupStatus and Export-BackupMetrics on a binlog archive: the newest archived event (live RPO) and a gap — a
/// file purged before it was archived — named in a warning (so the unhealthy-series alert fires) and counted in a metric.
/// </summary>
[Collection("servers")]
public sealed class BinlogStatusTests() : ArchivingMariaDbTest(Cell)
{
    private const string Cell = "binlog-status";

    private PsResult Run(string script) => Run(script, ("prom", Temp.Sub("textfile/backup.prom")));

    private BackupStatus Status(out PsResult result)
    {
        result = Run("Get-BackupStatus -Repository $repo");
        return result.Objects<BackupStatus>().Single(s => s.Engine == "mysql-binlog");
    }

    [Fact]
    public void Status_and_metrics_show_the_newest_archived_event_and_name_a_purged_file_as_a_gap()
    {
        Commit(1, 5);
        var committed = DateTimeOffset.UtcNow;
        Push().AssertNoErrors();
        var whole = Status(out var healthy);
        healthy.AssertNoErrors();
        Assert.Equal(0, whole.ArchiveGaps);
        Assert.DoesNotContain(whole.Warnings, w => w.Contains("binlog gap", StringComparison.Ordinal));
        Assert.InRange(whole.ArchiveNewestEvent!.Value, committed.AddSeconds(-5), committed.AddSeconds(5));

        Server.Execute("flush binary logs");
        Commit(6, 10);
        var lost = Server.Column("show binary logs").Last();
        Server.Execute("flush binary logs");
        Commit(11, 15);
        Server.Execute("flush binary logs");
        Server.Execute($"purge binary logs to '{Server.Column("show binary logs").Last()}'");
        Commit(16, 20);
        Run("Push-MySqlBinlog -Spool $spool -Cell $cell -Repository $repo -KeyFile $key -Server 127.0.0.1 -Port $port -Credential $cred | Out-Null");

        var status = Status(out var unhealthy);
        Assert.Contains(lost, unhealthy.AssertError("BackupUnhealthy").Exception.Message, StringComparison.Ordinal);
        Assert.False(status.Healthy);
        Assert.True(status.ArchiveGaps >= 1, $"{status.ArchiveGaps} gaps");
        Assert.Contains(status.Warnings, w => w.StartsWith("binlog gap:", StringComparison.Ordinal) && w.Contains(lost, StringComparison.Ordinal));

        Directory.CreateDirectory(Temp.Sub("textfile"));
        Run("Export-BackupMetrics -Path $prom -Repository $repo | Out-Null").AssertNoErrors();
        var text = File.ReadAllText(Temp.Sub("textfile/backup.prom"));
        MetricsTests.AssertPromtoolAccepts(text);
        var samples = MetricsTests.Parse(text);
        string Key(string name) => $"{name}|cell={Cell},engine=mysql-binlog,repository=file://{Temp.Sub("repo")},source={status.Source}";
        Assert.Equal(status.ArchiveGaps!.Value, samples[Key("backup_archive_gaps")]);
        Assert.Equal(status.ArchiveNewestEvent!.Value.ToUnixTimeSeconds(), samples[Key("backup_archive_newest_event_timestamp_seconds")], 3);
        Assert.InRange(samples[Key("backup_archive_rpo_seconds")], 0, 120);
        Assert.Equal(0, samples[Key("backup_healthy")]);
        // Other series carry no archive samples (absent, not 0).
        Assert.DoesNotContain(samples.Keys, k => k.StartsWith("backup_archive_gaps|", StringComparison.Ordinal) && !k.Contains("engine=mysql-binlog", StringComparison.Ordinal));
    }

    /// <summary>Push-MySqlBinlog -Watch in a process of its own (the runner), so the test can kill it as an OOM killer would.</summary>
    private Process StartWatcher()
    {
        var script = Temp.Sub("watch.ps1");
        File.WriteAllText(script, $"""
            $cred = [pscredential]::new('root', (ConvertTo-SecureString $env:BT_TEST_MYSQL_PASSWORD -AsPlainText -Force))
            Push-MySqlBinlog -Spool '{Temp.Sub("spool")}' -Cell {Cell} -Repository '{Temp.Sub("repo")}' -KeyFile '{Temp.Sub("main.key")}' -Server 127.0.0.1 -Port {Server.Port} -Credential $cred -Watch -IntervalSec 1
            """);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(RepoPaths.Root, "bin", "runner", "btrun.dll"), "-File", script }) psi.ArgumentList.Add(a);
        psi.Environment["BT_TEST_MYSQL_PASSWORD"] = ArchivingMariaDb.Password;
        var process = Process.Start(psi)!;
        process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        process.StandardError.BaseStream.CopyToAsync(Stream.Null);
        return process;
    }

    private Dictionary<string, double> ExportedSamples()
    {
        Directory.CreateDirectory(Temp.Sub("textfile"));
        Run("Export-BackupMetrics -Path $prom -Repository $repo | Out-Null").AssertNoErrors();
        var text = File.ReadAllText(Temp.Sub("textfile/backup.prom"));
        MetricsTests.AssertPromtoolAccepts(text);
        return MetricsTests.Parse(text);
    }

    /// <summary>
    /// promtool test rules on the shipped BackupArchiverDown rule (its expr and for; annotations left out, promtool would
    /// compare their text), fed the exported heartbeat age and limit for 5 minutes: whether it fires for this cell.
    /// </summary>
    private bool ArchiverDownFires(double age, double limit)
    {
        var shipped = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(Path.Combine(RepoPaths.Root, "examples", "prometheus", "backup-alerts.yml")),
            @"- alert: BackupArchiverDown\n\s+expr: (?<expr>.+)\n\s+for: (?<for>\S+)");
        Assert.True(shipped.Success, "BackupArchiverDown (expr, for) is not in examples/prometheus/backup-alerts.yml");
        File.WriteAllText(Temp.Sub("rule.yml"), $"""
            groups:
              - name: archiver
                rules:
                  - alert: BackupArchiverDown
                    expr: {shipped.Groups["expr"].Value}
                    for: {shipped.Groups["for"].Value}
            """);
        var labels = $"repository: \"file://{Temp.Sub("repo")}\", cell: {Cell}, engine: mysql-binlog, source: x";
        var series = $"repository=\"file://{Temp.Sub("repo")}\", cell=\"{Cell}\", engine=\"mysql-binlog\", source=\"x\"";
        var expected = age > limit ? $"\n              - exp_labels: {{ {labels} }}" : " []";
        File.WriteAllText(Temp.Sub("alert-test.yml"), $"""
            rule_files: [{Temp.Sub("rule.yml")}]
            evaluation_interval: 1m
            tests:
              - interval: 1m
                input_series:
                  - series: 'backup_archiver_heartbeat_age_seconds{"{"}{series}{"}"}'
                    values: '{age.ToString(CultureInfo.InvariantCulture)}x5'
                  - series: 'backup_archiver_stale_after_seconds{"{"}{series}{"}"}'
                    values: '{limit.ToString(CultureInfo.InvariantCulture)}x5'
                alert_rule_test:
                  - eval_time: 4m
                    alertname: BackupArchiverDown
                    exp_alerts:{expected}
            """);
        var psi = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "test", "rules", Temp.Sub("alert-test.yml") }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000));
        Assert.True(p.ExitCode == 0, $"BackupArchiverDown did not {(age > limit ? "fire" : "stay silent")} at age {age} s, limit {limit} s: {output}");
        return age > limit;
    }

    [Fact]
    public void A_running_watcher_beats_and_a_killed_one_turns_stale_in_status_metrics_and_the_alert()
    {
        Commit(1, 2);
        using var watcher = StartWatcher();
        try
        {
            BackupStatus? status = null;
            Assert.True(SpinWait.SpinUntil(() =>
            {
                Assert.False(watcher.HasExited, "the watcher exited");
                status = Run("Get-BackupStatus -Repository $repo").Objects<BackupStatus>().SingleOrDefault(s => s.Engine == "mysql-binlog");
                return status?.Archiver is { State: "Running", Position: not null }; // the first beat, before its first push, has no position yet
            }, TimeSpan.FromSeconds(90)), "no running archiver in Get-BackupStatus within 90 s");
            Assert.Equal(watcher.Id, status!.Archiver!.Pid);
            Assert.Equal(Environment.MachineName, status.Archiver.Host);
            Assert.Equal(TimeSpan.FromSeconds(13), status.Archiver.StaleAfter);
            Assert.StartsWith("binlog.", status.Archiver.Position);
            Assert.DoesNotContain(status.Warnings, w => w.Contains("archiver", StringComparison.Ordinal));
            var samples = ExportedSamples();
            string Key(string name) => $"{name}|cell={Cell},engine=mysql-binlog,repository=file://{Temp.Sub("repo")},source={status.Source}";
            Assert.Equal(1, samples[Key("backup_archiver_up")]);
            Assert.False(ArchiverDownFires(samples[Key("backup_archiver_heartbeat_age_seconds")], samples[Key("backup_archiver_stale_after_seconds")]));

            watcher.Kill(entireProcessTree: true); // no clean stop: the heartbeat simply stops
            watcher.WaitForExit();
            Thread.Sleep(TimeSpan.FromSeconds(14));
            var stale = Run("Get-BackupStatus -Repository $repo").Objects<BackupStatus>().Single(s => s.Engine == "mysql-binlog");
            Assert.Equal("Stale", stale.Archiver!.State);
            Assert.Null(stale.Archiver.StoppedAt);
            Assert.Contains(stale.Warnings, w => w.Contains($"pid {watcher.Id}) has not beaten since", StringComparison.Ordinal));
            Assert.False(stale.Healthy);
            samples = ExportedSamples();
            Assert.Equal(0, samples[Key("backup_archiver_up")]);
            Assert.True(ArchiverDownFires(samples[Key("backup_archiver_heartbeat_age_seconds")], samples[Key("backup_archiver_stale_after_seconds")]));
        }
        finally
        {
            if (!watcher.HasExited) watcher.Kill(entireProcessTree: true);
        }
    }
}
