using System.Management.Automation;
using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Operations;

namespace BackupTools.Tests.PostgresPitr;

/// <summary>
/// Issue 17 item 4 (operations): a WAL series' archiver lag, gap and base-backup age, in Get-BackupStatus and as
/// metrics promtool accepts, from a real cluster's archive — and the gap metric turning to 1 when a segment is lost.
/// </summary>
[Collection("servers")]
public sealed class WalMetricsTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly ArchivingCluster _cluster;

    public WalMetricsTests()
    {
        _cluster = new ArchivingCluster(_temp.Sub("cluster"));
        try
        {
            Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null; New-BackupKey -Path $key | Out-Null").AssertNoErrors();
            Directory.CreateDirectory(_temp.Sub("textfile"));
        }
        catch
        {
            _cluster.Dispose();
            throw;
        }
    }

    private PsResult Run(string script) => _ps.Run(script, new Dictionary<string, object?>
    {
        ["repo"] = _temp.Sub("repo"), ["key"] = _temp.Sub("main.key"), ["port"] = _cluster.Port, ["spool"] = _cluster.Spool, ["prom"] = _temp.Sub("textfile/backup.prom"),
        ["cred"] = ArchivingCluster.Credential,
    });

    private Dictionary<string, double> ExportedWalSamples()
    {
        Run("Export-BackupMetrics -Path $prom -Repository $repo | Out-Null").AssertNoErrors();
        var text = File.ReadAllText(_temp.Sub("textfile/backup.prom"));
        MetricsTests.AssertPromtoolAccepts(text);
        return MetricsTests.Parse(text).Where(s => s.Key.Contains("engine=postgres-wal", StringComparison.Ordinal))
            .ToDictionary(s => s.Key.Split('|')[0], s => s.Value);
    }

    [Fact]
    public void Archiver_lag_gap_and_base_backup_age_are_in_the_status_and_the_metrics()
    {
        var backup = Run("Backup-PostgresBase -Server 127.0.0.1 -Port $port -Credential $cred -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors().Single<BackupRecord>();
        _cluster.Scalar("create table t(id int)");
        _cluster.SwitchAndWaitArchived();
        Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();
        Thread.Sleep(2000); // a lag that is measurably above zero

        var wal = Run("Get-BackupStatus -Repository $repo").AssertNoErrors().Objects<BackupStatus>().Single(s => s.Engine == "postgres-wal").Wal;
        Assert.NotNull(wal);
        Assert.InRange(wal.ArchiverLag, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(2));
        Assert.Equal(backup.Id, wal.BaseBackupId);
        Assert.True(wal.BaseBackupAge > wal.ArchiverLag, $"base {wal.BaseBackupAge} vs lag {wal.ArchiverLag}"); // the base backup came first
        Assert.Null(wal.Gap);
        Assert.Matches("^[0-9A-F]{24}$", wal.NewestWal);
        Assert.Null(Run("Get-BackupStatus -Repository $repo").Objects<BackupStatus>().Single(s => s.Engine == "postgres-base").Wal);

        var samples = ExportedWalSamples();
        Assert.InRange(samples["backup_wal_archiver_lag_seconds"], 2, 120);
        Assert.Equal(0, samples["backup_wal_gap"]);
        Assert.True(samples["backup_wal_base_backup_age_seconds"] > samples["backup_wal_archiver_lag_seconds"]);

        // A segment lost between two that were archived: the gap metric says so.
        for (var round = 0; round < 3; round++)
        {
            _cluster.Scalar($"insert into t values ({round})");
            _cluster.SwitchAndWaitArchived();
        }
        var segments = Directory.GetFiles(_cluster.Spool).Select(Path.GetFileName).Where(n => n!.Length == 24).Order().ToList();
        File.Delete(Path.Combine(_cluster.Spool, segments[^2]!));
        Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();
        Assert.Equal(1, ExportedWalSamples()["backup_wal_gap"]);
        Assert.Contains(segments[^2]!, Run("Get-BackupStatus -Repository $repo").Objects<BackupStatus>().Single(s => s.Engine == "postgres-wal").Wal!.Gap);
    }

    [Fact]
    public void Push_PostgresWal_Watch_beats_a_heartbeat_Get_BackupStatus_shows_as_running_then_stopped()
    {
        _cluster.Scalar("create table t(id int)");
        _cluster.SwitchAndWaitArchived();
        using var background = new PsSession();
        using var watcher = background.Create($"Push-PostgresWal '{_cluster.Spool}' -Cell pitr -Repository '{_temp.Sub("repo")}' -KeyFile '{_temp.Sub("main.key")}' -Watch -IntervalSec 1");
        var output = new PSDataCollection<PSObject>();
        watcher.BeginInvoke<PSObject, PSObject>(null, output);
        ArchiverStatus? Archiver() => Run("Get-BackupStatus -Repository $repo").Objects<BackupStatus>().SingleOrDefault(s => s.Engine == "postgres-wal")?.Archiver;
        try
        {
            Assert.True(SpinWait.SpinUntil(() => output.Count > 0, TimeSpan.FromSeconds(60)), "no push was written while watching: " + watcher.InvocationStateInfo.State);
            var pushed = Assert.IsType<WalPushResult>(output[0].BaseObject);
            ArchiverStatus? running = null;
            Assert.True(SpinWait.SpinUntil(() => (running = Archiver())?.Position == pushed.Pushed[^1], TimeSpan.FromSeconds(30)), $"heartbeat: {running?.State} at {running?.Position}");
            Assert.Equal(("Running", Environment.ProcessId), (running!.State, running.Pid));
        }
        finally
        {
            watcher.Stop();
        }

        var stopped = Run("Get-BackupStatus -Repository $repo").Objects<BackupStatus>().Single(s => s.Engine == "postgres-wal");
        Assert.Equal("Stopped", stopped.Archiver!.State); // a clean stop says so, rather than going stale
        Assert.Contains(stopped.Warnings, w => w.Contains("archiver", StringComparison.Ordinal) && w.Contains("stopped at", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _cluster.Dispose();
        _ps.Dispose();
        _temp.Dispose();
    }
}
