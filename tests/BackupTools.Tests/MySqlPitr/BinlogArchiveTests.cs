using System.Management.Automation;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.MySqlPitr;

/// <summary>
/// Issue 18's continuous binlog archiving against a private MariaDB: the archive is byte for byte the server's binlog
/// across an archiver killed mid-file, a rotation and a server restart; a purged file is named as a gap; -Watch
/// ships the growing file within seconds.
/// </summary>
[Collection("servers")]
public sealed class BinlogArchiveTests() : ArchivingMariaDbTest(Cell, "id int primary key, at datetime(6) not null default now(6)")
{
    private const string Cell = "binlog-test";

    private BinlogArchive Archive(out BackupRepository repository)
    {
        repository = new RepositoryReference(Temp.Sub("repo")).Open();
        return new BinlogArchive(repository.ListManifests(NullObserver.Instance), Cell);
    }

    private BackupKeyRing Keys() => BackupKeyRing.Load(new KeySources([Temp.Sub("main.key")], [], false));

    [Fact]
    public void Archive_matches_the_server_binlog_byte_for_byte_across_a_killed_archiver_a_rotation_and_a_restart()
    {
        Commit(1, 20);
        Push().AssertNoErrors();
        Commit(21, 40);
        Server.Execute("flush binary logs");
        Commit(41, 60);
        // An archiver killed mid-write leaves the growing file cut inside an event; the next run must not lose or duplicate anything.
        var growing = BinlogPushOperation.Spooled(Temp.Sub("spool")).Last();
        using (var f = new FileStream(Path.Combine(Temp.Sub("spool"), growing), FileMode.Open)) f.SetLength(f.Length - 7);
        Push().AssertNoErrors();
        Server.Stop();
        Server.Start();
        Commit(61, 80);
        var result = Push().AssertNoErrors();
        Assert.Empty(result.Objects<BinlogPushResult>().SelectMany(r => r.Gaps));

        var archive = Archive(out var repository);
        var serverFiles = Server.Column("show binary logs");
        Assert.True(serverFiles.Count >= 3, string.Join(",", serverFiles));
        Assert.Equal(serverFiles, archive.Files.ToList());
        var staged = BinlogStaging.Stage(repository, archive, archive.Files.ToList(), Keys(), Temp.Sub("staged"), CancellationToken.None);
        foreach (var path in staged)
        {
            var copy = File.ReadAllBytes(path);
            var original = File.ReadAllBytes(Path.Combine(Server.BinlogDir, Path.GetFileName(path)));
            // The server flags its open file "in use" in the format description event (offset 21) and sends it cleared.
            if (Path.GetFileName(path) == serverFiles[^1]) original[21] &= 0xFE;
            var differ = Enumerable.Range(0, Math.Min(copy.Length, original.Length)).Where(i => copy[i] != original[i]).Take(5).ToList();
            Assert.True(copy.Length == original.Length && differ.Count == 0,
                $"{Path.GetFileName(path)}: {copy.Length} vs {original.Length} bytes, first differences at {string.Join(",", differ)}");
        }
        Assert.Empty(archive.Gaps());
        // Finished files leave the spool; only the growing one stays.
        Assert.Equal([serverFiles[^1]], BinlogPushOperation.Spooled(Temp.Sub("spool")));
    }

    [Fact]
    public void A_file_purged_before_it_was_archived_is_named_as_a_gap()
    {
        Commit(1, 5);
        Push().AssertNoErrors();
        Server.Execute("flush binary logs");
        Commit(6, 10);
        var lost = Server.Column("show binary logs").Last();
        Server.Execute("flush binary logs");
        Commit(11, 15);
        Server.Execute("flush binary logs");
        var newest = Server.Column("show binary logs").Last();
        Server.Execute($"purge binary logs to '{newest}'");
        Commit(16, 20);

        var result = Push();
        var gaps = result.Objects<BinlogPushResult>().Last().Gaps;
        Assert.Contains(gaps, g => g.Reason.Contains(lost, StringComparison.Ordinal) && g.Reason.Contains("missing", StringComparison.Ordinal));
        Assert.Contains(gaps, g => g.Reason.StartsWith("GTIDs 0-*-", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("gap", StringComparison.Ordinal));
    }

    [Fact]
    public void Watch_ships_a_commit_to_the_growing_file_within_seconds()
    {
        var target = new MySqlTarget("127.0.0.1", Server.Port, "root", ArchivingMariaDb.Password);
        var request = new BinlogArchiveRequest(new RepositoryReference(Temp.Sub("repo")), target, Cell, Temp.Sub("spool"), null, null, Keys(), TimeSpan.FromSeconds(30), true, TimeSpan.FromSeconds(1));
        using var stop = new CancellationTokenSource();
        var pushes = new List<BinlogPushResult>();
        var archiver = Task.Run(() => { foreach (var r in new BinlogArchiver(NullObserver.Instance).Run(request, stop.Token)) lock (pushes) pushes.Add(r); });
        try
        {
            Thread.Sleep(1500);
            Commit(1, 1);
            var committed = DateTime.UtcNow;
            var gtid = Server.Column("select @@gtid_binlog_pos").Single();
            while (DateTime.UtcNow - committed < TimeSpan.FromSeconds(15))
            {
                lock (pushes) if (pushes.Any(p => p.Segments.Any(s => s.LastGtid == gtid))) break;
                Assert.False(archiver.IsCompleted, archiver.Exception?.ToString());
                Thread.Sleep(100);
            }
            var rpo = DateTime.UtcNow - committed;
            Assert.True(rpo < TimeSpan.FromSeconds(5), $"the commit reached the archive after {rpo.TotalSeconds:0.0} s");
        }
        finally
        {
            stop.Cancel();
            SpinWait.SpinUntil(() => archiver.IsCompleted, TimeSpan.FromSeconds(30));
        }
        Assert.Null(archiver.Exception);
        Assert.Contains(Archive(out _).Files, f => f == Server.Column("show binary logs").Last());
    }

    [Fact]
    public void Restore_to_a_second_between_two_commits_and_to_a_gtid_gives_exactly_the_rows_before_it()
    {
        Commit(1, 10);
        Run("Backup-MySql -Database shop -Repository $repo -KeyFile $key -Server 127.0.0.1 -Port $port -Credential $cred").AssertNoErrors();
        Commit(11, 20);
        var gtid20 = Server.Column("select @@gtid_binlog_pos").Single();
        // The target is the first whole second after commit 20; commit 21 comes after it.
        var now = DateTimeOffset.UtcNow;
        var target = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero).AddSeconds(1);
        Thread.Sleep(target - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300));
        Commit(21, 30);
        Push().AssertNoErrors();

        Run("Restore-MySql -Database shop -At $at -BinlogCell $cell -TargetDatabase shop_at -Repository $repo -KeyFile $key -Server 127.0.0.1 -Port $port -Credential $cred -Confirm:$false".Replace("$at", $"'{target:O}'")).AssertNoErrors();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Server.Column("select id from shop_at.ledger order by id"));

        Run($"Restore-MySql -Database shop -Gtid '{gtid20}' -BinlogCell $cell -TargetDatabase shop_gtid -Repository $repo -KeyFile $key -Server 127.0.0.1 -Port $port -Credential $cred -Confirm:$false").AssertNoErrors();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Server.Column("select id from shop_gtid.ledger order by id"));
        // The live database is untouched by restores into other names.
        Assert.Equal("30", Server.Column("select count(*) from shop.ledger").Single());
    }

    [Fact]
    public void A_damaged_or_missing_binlog_batch_stops_the_restore_before_the_swap_and_the_live_database_is_untouched()
    {
        Commit(1, 10);
        Run("Backup-MySql -Database shop -Repository $repo -KeyFile $key -Server 127.0.0.1 -Port $port -Credential $cred").AssertNoErrors();
        Commit(11, 20);
        var batch = Push().AssertNoErrors().Objects<BinlogPushResult>().Single(r => r.BatchId != null).BatchId!;
        var restore = $"Restore-MySql -Database shop -At '{DateTimeOffset.UtcNow:O}' -BinlogCell $cell -Repository $repo -KeyFile $key -Server 127.0.0.1 -Port $port -Credential $cred -Confirm:$false";
        var data = Path.Combine(Temp.Sub("repo"), "backups", batch, "data");
        var original = File.ReadAllBytes(data);
        using (var f = new FileStream(data, FileMode.Open)) { f.Position = f.Length / 2; var b = f.ReadByte(); f.Position--; f.WriteByte((byte)(b ^ 0xFF)); }
        Thread.Sleep(1100);
        var damaged = Run(restore);
        Assert.NotEmpty(damaged.Errors);
        Assert.Equal("20", Server.Column("select count(*) from shop.ledger").Single());
        Assert.DoesNotContain(Server.Column("show databases"), d => d.StartsWith("bt_restore", StringComparison.Ordinal) || d.Contains("restore", StringComparison.Ordinal));

        // The batch gone entirely: the replay has nothing to start from and says which file is missing.
        File.WriteAllBytes(data, original);
        Directory.Delete(Path.Combine(Temp.Sub("repo"), "backups", batch), true);
        Run(restore).AssertError("MySqlBinlogGap");
        Assert.Equal("20", Server.Column("select count(*) from shop.ledger").Single());
    }
}
