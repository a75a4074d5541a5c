using System.Management.Automation;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Operations;

namespace BackupTools.Tests.MySqlPitr;

/// <summary>
/// Get-BackupStatus and Export-BackupMetrics on a binlog archive: the newest archived event (live RPO) and a gap — a
/// file purged before it was archived — named in a warning (so the unhealthy-series alert fires) and counted in a metric.
/// </summary>
[Collection("servers")]
public sealed class BinlogStatusTests : IDisposable
{
    private const string Cell = "binlog-status";
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly ArchivingMariaDb _server;

    public BinlogStatusTests()
    {
        _server = new ArchivingMariaDb(_temp.Sub("server"));
        try
        {
            Run("Initialize-BackupRepository -Path $repo | Out-Null; New-BackupKey -Path $key | Out-Null").AssertNoErrors();
            _server.Execute("create database shop");
            _server.Execute("create table shop.ledger(id int primary key)");
        }
        catch
        {
            _server.Dispose();
            throw;
        }
    }

    private PsResult Run(string script) => _ps.Run(script, new Dictionary<string, object?>
    {
        ["repo"] = _temp.Sub("repo"), ["key"] = _temp.Sub("main.key"), ["port"] = _server.Port, ["spool"] = _temp.Sub("spool"), ["cell"] = Cell,
        ["prom"] = _temp.Sub("textfile/backup.prom"),
        ["cred"] = new PSCredential("root", new System.Net.NetworkCredential("", ArchivingMariaDb.Password).SecurePassword),
    });

    private void Push() => Run("Push-MySqlBinlog -Spool $spool -Cell $cell -Repository $repo -KeyFile $key -Server 127.0.0.1 -Port $port -Credential $cred").AssertNoErrors();

    private BackupStatus Status(out PsResult result)
    {
        result = Run("Get-BackupStatus -Repository $repo");
        return result.Objects<BackupStatus>().Single(s => s.Engine == "mysql-binlog");
    }

    private void Commit(int from, int to)
    {
        for (var i = from; i <= to; i++) _server.Execute($"insert into shop.ledger values ({i})");
    }

    [Fact]
    public void Status_and_metrics_show_the_newest_archived_event_and_name_a_purged_file_as_a_gap()
    {
        Commit(1, 5);
        var committed = DateTimeOffset.UtcNow;
        Push();
        var whole = Status(out var healthy);
        healthy.AssertNoErrors();
        Assert.Equal(0, whole.ArchiveGaps);
        Assert.DoesNotContain(whole.Warnings, w => w.Contains("binlog gap", StringComparison.Ordinal));
        Assert.InRange(whole.ArchiveNewestEvent!.Value, committed.AddSeconds(-5), committed.AddSeconds(5));

        _server.Execute("flush binary logs");
        Commit(6, 10);
        var lost = _server.Column("show binary logs").Last();
        _server.Execute("flush binary logs");
        Commit(11, 15);
        _server.Execute("flush binary logs");
        _server.Execute($"purge binary logs to '{_server.Column("show binary logs").Last()}'");
        Commit(16, 20);
        Run("Push-MySqlBinlog -Spool $spool -Cell $cell -Repository $repo -KeyFile $key -Server 127.0.0.1 -Port $port -Credential $cred | Out-Null");

        var status = Status(out var unhealthy);
        Assert.Contains(lost, unhealthy.AssertError("BackupUnhealthy").Exception.Message, StringComparison.Ordinal);
        Assert.False(status.Healthy);
        Assert.True(status.ArchiveGaps >= 1, $"{status.ArchiveGaps} gaps");
        Assert.Contains(status.Warnings, w => w.StartsWith("binlog gap:", StringComparison.Ordinal) && w.Contains(lost, StringComparison.Ordinal));

        Directory.CreateDirectory(_temp.Sub("textfile"));
        Run("Export-BackupMetrics -Path $prom -Repository $repo | Out-Null").AssertNoErrors();
        var text = File.ReadAllText(_temp.Sub("textfile/backup.prom"));
        MetricsTests.AssertPromtoolAccepts(text);
        var samples = MetricsTests.Parse(text);
        string Key(string name) => $"{name}|cell={Cell},engine=mysql-binlog,repository=file://{_temp.Sub("repo")},source={status.Source}";
        Assert.Equal(status.ArchiveGaps!.Value, samples[Key("backup_archive_gaps")]);
        Assert.Equal(status.ArchiveNewestEvent!.Value.ToUnixTimeSeconds(), samples[Key("backup_archive_newest_event_timestamp_seconds")], 3);
        Assert.InRange(samples[Key("backup_archive_rpo_seconds")], 0, 120);
        Assert.Equal(0, samples[Key("backup_healthy")]);
        // Other series carry no archive samples (absent, not 0).
        Assert.DoesNotContain(samples.Keys, k => k.StartsWith("backup_archive_gaps|", StringComparison.Ordinal) && !k.Contains("engine=mysql-binlog", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _server.Dispose();
        _ps.Dispose();
        _temp.Dispose();
    }
}
