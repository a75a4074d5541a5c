using System.Management.Automation;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.MySqlPitr;

/// <summary>Restore-MySql -BinlogCell -At -WhatIf: says which dump, which binlog range and where the replay stops, and changes nothing.</summary>
[Collection("servers")]
public sealed class BinlogRestoreWhatIfTests() : ArchivingMariaDbTest(Cell)
{
    private const string Cell = "binlog-whatif";

    [Fact]
    public void WhatIf_names_the_dump_the_binlog_range_and_the_stop_point_and_changes_nothing()
    {
        Commit(1, 5);
        var dump = Run($"Backup-MySql -Database shop {Connection}").AssertNoErrors().Single<BackupRecord>();
        Thread.Sleep(1100);
        Commit(6, 10);
        // A whole second after the dump completed and no later than the newest archived commit.
        var now = DateTimeOffset.UtcNow;
        var at = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero);
        Push().AssertNoErrors();
        var file = Convert.ToString(dump.EngineInfo["binlogFile"], System.Globalization.CultureInfo.InvariantCulture)!;
        var position = Convert.ToInt64(dump.EngineInfo["binlogPosition"], System.Globalization.CultureInfo.InvariantCulture);
        var repository = new RepositoryReference(Temp.Sub("repo"));
        var archiveEnd = new BinlogArchive(repository.Open().ListManifests(NullObserver.Instance), Cell).EndOf(file);
        var before = Run("Get-Backup -Repository $repo").AssertNoErrors().Output.Count;

        string? said = null;
        var keys = BackupKeyRing.Load(new KeySources([Temp.Sub("main.key")], [], false));
        var request = new MySqlRestoreRequest(repository, null, "shop", at, null, new MySqlTarget("127.0.0.1", Server.Port, "root", ArchivingMariaDb.Password),
            false, null, keys, TimeSpan.FromSeconds(30), (_, action) => { said = action; return false; }, Replay: new BinlogReplayTarget(Cell, at, null));
        Assert.Null(new MySqlRestoreOperation(NullObserver.Instance).Run(request, CancellationToken.None));

        Assert.NotNull(said);
        Assert.Contains($"Restore backup {dump.Id}", said, StringComparison.Ordinal);
        Assert.Contains($"binlog {file}:{position} … {file}:{archiveEnd}", said, StringComparison.Ordinal);
        Assert.Contains($"to {at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC", said, StringComparison.Ordinal);

        // The cmdlet's -WhatIf goes the same way: no output, no safety backup, the live rows and databases as they were.
        var databases = Server.Column("show databases");
        Assert.Empty(Run($"Restore-MySql -Database shop -At '{at:O}' -BinlogCell $cell {Connection} -WhatIf").AssertNoErrors().Output);
        Assert.Equal(before, Run("Get-Backup -Repository $repo").AssertNoErrors().Output.Count);
        Assert.Equal("10", Server.Column("select count(*) from shop.ledger").Single());
        Assert.Equal(databases, Server.Column("show databases"));
    }
}
