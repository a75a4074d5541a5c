using System.Diagnostics;
using System.Management.Automation;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Tests.Infrastructure;
using Npgsql;

namespace BackupTools.Tests.PostgresPitr;

/// <summary>
/// Issue 17's streaming archiver (Receive-PostgresWal) against a real PostgreSQL 15: a commit is in the repository
/// seconds after it was made without any segment switch (the segment being received travels as a snapshot), and
/// SIGKILLs of pg_receivewal plus a restart of the archiver lose no WAL: a restore to the end has every row.
/// </summary>
[Collection("servers")]
public sealed class StreamingArchiverTests : IDisposable
{
    private const string Cell = "pitr";
    private const long SegmentSize = 16 * 1024 * 1024;
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly ArchivingCluster _cluster;
    private readonly List<string> _restored = [];
    private readonly string _streamSpool;

    public StreamingArchiverTests()
    {
        Directory.CreateDirectory(_temp.Sub("restores"));
        ArchivingCluster.MakeReachable(_temp.Sub("restores"));
        _streamSpool = _temp.Sub("stream");
        _cluster = new ArchivingCluster(_temp.Sub("cluster"));
        try
        {
            Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null; New-BackupKey -Path $key | Out-Null").AssertNoErrors();
            _cluster.Scalar("create table ledger(id int primary key)");
        }
        catch
        {
            _cluster.Dispose();
            throw;
        }
    }

    private PsResult Run(string script, params (string Name, object? Value)[] extra)
    {
        var vars = new Dictionary<string, object?>
        {
            ["repo"] = _temp.Sub("repo"), ["key"] = _temp.Sub("main.key"), ["port"] = _cluster.Port,
            ["cred"] = ArchivingCluster.Credential,
        };
        foreach (var (name, value) in extra) vars[name] = value;
        return _ps.Run(script, vars);
    }


    /// <summary>Commits rows one transaction each; returns the WAL position right after the last commit.</summary>
    private ulong Commit(int from, int to)
    {
        for (var i = from; i <= to; i++) _cluster.Scalar($"insert into ledger(id) values ({i})");
        return WalFileName.ParseLsn((string)_cluster.Scalar("select pg_current_wal_lsn()::text")!);
    }

    /// <summary>The streaming archiver running in the background, as Receive-PostgresWal runs it.</summary>
    private sealed class Archiver(Task task, CancellationTokenSource stop)
    {
        public void Stop()
        {
            stop.Cancel();
            task.GetAwaiter().GetResult();
        }
    }

    private Archiver StartArchiver()
    {
        var keys = BackupKeyRing.Load(new KeySources([_temp.Sub("main.key")], [], false));
        var push = new WalPushRequest(new RepositoryReference(_temp.Sub("repo")), _streamSpool, Cell, null, keys, TimeSpan.FromSeconds(60), StreamSpool: true);
        var source = PostgresTarget.From(null, "127.0.0.1", _cluster.Port, "postgres", ArchivingCluster.Password);
        var stop = new CancellationTokenSource();
        var task = Task.Run(() => new WalStreamOperation(NullObserver.Instance).Run(new WalStreamRequest(push, source, "bt_test", null, TimeSpan.FromSeconds(1)), _ => { }, stop.Token));
        return new Archiver(task, stop);
    }

    /// <summary>How far the repository's WAL archive reaches: whole segments, and the snapshot of the one being received.</summary>
    private ulong ArchivedThrough()
    {
        var repository = new RepositoryReference(_temp.Sub("repo")).Open();
        var archive = new WalArchive(repository.ListManifests(NullObserver.Instance), Cell);
        ulong reach = 0;
        foreach (var name in archive.Names)
        {
            if (!WalFileName.TryParse(name, out var f)) continue;
            var start = f.SegmentNumber(SegmentSize) * (ulong)SegmentSize;
            if (f.Kind == WalFileKind.Segment) reach = Math.Max(reach, start + (ulong)SegmentSize);
            if (f.Kind == WalFileKind.StreamSnapshot) reach = Math.Max(reach, start + (ulong)f.SnapshotBytes);
        }
        return reach;
    }

    /// <summary>Seconds until the archive reaches <paramref name="lsn"/> (less the ≤ 7 zero bytes that align a record's end).</summary>
    private double SecondsUntilArchived(ulong lsn, double limit)
    {
        var clock = Stopwatch.StartNew();
        while (ArchivedThrough() + 8 <= lsn)
        {
            if (clock.Elapsed.TotalSeconds > limit) throw new TimeoutException($"WAL up to {WalFileName.FormatLsn(lsn)} was not archived within {limit} s (archive reaches {WalFileName.FormatLsn(ArchivedThrough())}).");
            Thread.Sleep(200);
        }
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>SIGKILL of the pg_receivewal writing into this test's spool.</summary>
    private void KillReceiver()
    {
        var pids = Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _))
            .Where(pid => { try { var cmd = File.ReadAllText($"/proc/{pid}/cmdline"); return cmd.Contains("pg_receivewal") && cmd.Contains(_streamSpool); } catch (IOException) { return false; } })
            .ToList();
        Assert.NotEmpty(pids);
        foreach (var pid in pids) Process.Start("kill", ["-KILL", pid!])!.WaitForExit();
    }

    /// <summary>The archived stream snapshots of the cell, by the WAL batch records that hold them.</summary>
    private List<(string Batch, string[] Files)> Batches()
    {
        var repository = new RepositoryReference(_temp.Sub("repo")).Open();
        return repository.ListManifests(NullObserver.Instance).Where(m => m.Engine == WalArchive.EngineName)
            .Select(m => (m.Id, WalArchive.Files(m).Select(f => f.Name).ToArray())).ToList();
    }

    [Fact]
    public void Retention_prunes_snapshots_superseded_by_the_full_segment_or_a_longer_snapshot_and_a_restore_still_has_every_row()
    {
        var archiver = StartArchiver();
        var neededFrom = "";
        try
        {
            SecondsUntilArchived(Commit(1, 1), 30);
            // Its heartbeat: Get-BackupStatus sees the archiver running here (the archiver runs in this test process).
            var running = Run("Get-BackupStatus -Repository $repo").Objects<BackupStatus>().Single(s => s.Engine == "postgres-wal").Archiver;
            Assert.Equal(("Running", Environment.ProcessId), (running?.State, running?.Pid ?? 0));
            Run("Backup-PostgresBase -Server 127.0.0.1 -Port $port -Credential $cred -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();
            // Segments before the kept base backup's start may go (retention keeps what the base backup needs); from here on all are needed.
            neededFrom = (string)_cluster.Scalar("select pg_walfile_name(pg_current_wal_lsn())")!;
            for (var round = 0; round < 3; round++) SecondsUntilArchived(Commit(10 * round + 2, 10 * round + 11), 30); // a longer snapshot each round
            var finished = (string)_cluster.Scalar("select pg_walfile_name(pg_current_wal_lsn())")!;
            _cluster.Scalar("select pg_switch_wal()");
            SecondsUntilArchived(Commit(100, 110), 30);
            for (var round = 0; round < 2; round++) SecondsUntilArchived(Commit(200 + 10 * round, 209 + 10 * round), 30);
            Assert.True(SpinWait.SpinUntil(() => Batches().Any(b => b.Files.Contains(finished)), TimeSpan.FromSeconds(30)), $"{finished} was not archived in full");
        }
        finally { archiver.Stop(); }

        var before = Batches();
        var snapshots = before.SelectMany(b => b.Files).Where(f => f.EndsWith(".stream", StringComparison.Ordinal)).ToList();
        Assert.True(snapshots.Count >= 4, string.Join(", ", snapshots));
        Run("Invoke-BackupRetention -Repository $repo -KeepLast 1 -Confirm:$false").AssertNoErrors();

        var after = Batches();
        var kept = after.SelectMany(b => b.Files).ToList();
        // No batch of snapshots only is left whose snapshot a kept file supersedes (its full segment, or a longer snapshot of it);
        // every full segment is still there.
        Assert.All(after.Where(b => b.Files.All(f => f.EndsWith(".stream", StringComparison.Ordinal))), b =>
            Assert.DoesNotContain(b.Files, f => kept.Contains(f[..24]) || kept.Any(o => o.StartsWith(f[..24] + ".", StringComparison.Ordinal) && string.CompareOrdinal(o, f) > 0)));
        Assert.True(after.Count < before.Count, $"nothing was pruned: {before.Count} batches");
        static bool FullFrom(string f, string first) => f.Length == 24 && string.CompareOrdinal(f, first) >= 0;
        Assert.Equal(before.SelectMany(b => b.Files).Where(f => FullFrom(f, neededFrom)).Order(), kept.Where(f => FullFrom(f, neededFrom)).Order());

        var dir = _temp.Sub("restores/after-pruning");
        _restored.Add(dir);
        var port = ArchivingCluster.FreePort();
        Run("Restore-PostgresCluster -Cell pitr -DataDirectory $dir -Port $p -KeepRunning -Repository $repo -KeyFile $key -Confirm:$false", ("dir", dir), ("p", port)).AssertNoErrors();
        using var c = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Password={ArchivingCluster.Password};Database=postgres;Pooling=false");
        c.Open();
        using var cmd = new NpgsqlCommand("select count(*) from ledger", c);
        Assert.Equal(1L + 30 + 11 + 20, Convert.ToInt64(cmd.ExecuteScalar()));
    }

    [Fact]
    public void A_commit_is_archived_within_seconds_without_a_segment_switch_and_sigkills_and_a_restart_lose_no_wal()
    {
        // The stream starts first: WAL from before it (and its slot) is not on the server any more to be received.
        var archiver = StartArchiver();
        try
        {
            SecondsUntilArchived(Commit(1, 1), 30);
            // Its heartbeat: Get-BackupStatus sees the archiver running here (the archiver runs in this test process).
            var running = Run("Get-BackupStatus -Repository $repo").Objects<BackupStatus>().Single(s => s.Engine == "postgres-wal").Archiver;
            Assert.Equal(("Running", Environment.ProcessId), (running?.State, running?.Pid ?? 0));
            Run("Backup-PostgresBase -Server 127.0.0.1 -Port $port -Credential $cred -Cell pitr -Repository $repo -KeyFile $key").AssertNoErrors();

            var rpo = SecondsUntilArchived(Commit(2, 30), 30);
            Assert.True(rpo <= 10, $"RPO {rpo:0.0} s");

            KillReceiver(); // mid-stream: what it confirmed is fsynced, the slot holds the rest on the server
            var afterKill = SecondsUntilArchived(Commit(31, 60), 30);
            Assert.True(afterKill <= 15, $"{afterKill:0.0} s after pg_receivewal was killed");

            KillReceiver();
            archiver.Stop();
            var stopped = Run("Get-BackupStatus -Repository $repo").Objects<BackupStatus>().Single(s => s.Engine == "postgres-wal");
            Assert.Equal("Stopped", stopped.Archiver!.State); // a clean stop says so, rather than going stale
            Assert.Contains(stopped.Warnings, w => w.Contains("archiver", StringComparison.Ordinal) && w.Contains("stopped at", StringComparison.Ordinal));
        }
        catch
        {
            try { archiver.Stop(); } catch (Exception) { }
            throw;
        }
        // Nobody archives while these commit; the slot keeps their WAL until the archiver is back.
        var whileDown = Commit(61, 90);
        Assert.Equal(1L, Convert.ToInt64(_cluster.Scalar("select count(*) from pg_replication_slots where slot_name = 'bt_test'")));
        archiver = StartArchiver();
        try { SecondsUntilArchived(whileDown, 30); }
        finally { archiver.Stop(); }

        // No pg_switch_wal anywhere: the last rows are only in the snapshot of the segment being received.
        var dir = _temp.Sub("restores/latest");
        _restored.Add(dir);
        var port = ArchivingCluster.FreePort();
        var result = Run("Restore-PostgresCluster -Cell pitr -DataDirectory $dir -Port $p -KeepRunning -Repository $repo -KeyFile $key -Confirm:$false", ("dir", dir), ("p", port))
            .AssertNoErrors().Single<PgPitrRestoreResult>();
        Assert.EndsWith(".stream", result.LastWal);
        using var c = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Password={ArchivingCluster.Password};Database=postgres;Pooling=false");
        c.Open();
        using var cmd = new NpgsqlCommand("select count(*), max(id) from ledger", c);
        using var r = cmd.ExecuteReader();
        r.Read();
        Assert.Equal((90L, 90), (r.GetInt64(0), r.GetInt32(1)));
    }

    public void Dispose()
    {
        foreach (var dir in _restored) ArchivingCluster.StopServer(dir);
        _cluster.Dispose();
        _ps.Dispose();
        _temp.Dispose();
    }
}
