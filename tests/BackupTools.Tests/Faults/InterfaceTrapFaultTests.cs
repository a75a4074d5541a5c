using MySqlConnector;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.MySql;
using BackupTools.Tests.Postgres;

namespace BackupTools.Tests.Faults;

/// <summary>
/// Issue 14 item 10: traps in the interface. A restore's safety backup became the -Latest backup of its cell, so
/// `Get-Backup -Latest | Restore-… -Target X` restored every piped backup into X in turn; Restore-Cell -Name -Id was a
/// bare parameter-set error; Initialize-BackupRepository failed when run again.
/// </summary>
public sealed class InterfaceTrapFaultTests : CellTestBase
{
    private string CellB => Temp.Sub("cells/other");

    [Fact]
    public void Latest_leaves_out_safety_backups_unless_asked_and_marks_them()
    {
        InitRepoWithKey();
        var original = Backup();
        File.WriteAllText(Path.Combine(Cell, "changed.txt"), "after the backup\n");
        var restore = Run("Restore-Cell -Name crm -Repository $repo -KeyFile $key -Confirm:$false").AssertNoErrors().Single<RestoreResult>();
        Assert.NotNull(restore.SafetyBackupId);

        var latest = Run("Get-Backup -Repository $repo -Latest").AssertNoErrors().Single<BackupRecord>();
        Assert.Equal(original.Id, latest.Id);
        Assert.False(latest.IsSafetyBackup);
        var all = Run("Get-Backup -Repository $repo").Objects<BackupRecord>().ToList();
        Assert.True(all.Single(r => r.Id == restore.SafetyBackupId).IsSafetyBackup);
        Assert.Equal(restore.SafetyBackupId, Run("Get-Backup -Repository $repo -Latest -IncludeSafety").AssertNoErrors().Single<BackupRecord>().Id);
    }

    [Fact]
    public void Several_backups_piped_into_one_destination_are_refused_before_any_is_restored()
    {
        InitRepoWithKey();
        SampleTree.Create(CellB, seed: 2);
        var a = Backup();
        var b = Run("Backup-Cell -Name other -Path $b -Repository $repo -KeyFile $key", ("b", CellB)).AssertNoErrors().Single<BackupRecord>();
        var dest = Temp.Sub("one-place");

        var error = Run("Get-Backup -Repository $repo -Latest | Restore-Cell -KeyFile $key -Destination $dest -Confirm:$false", ("dest", dest))
            .AssertError("RestoreSeveralIntoOneTarget");
        Assert.Contains(a.Id, error.Exception.Message);
        Assert.Contains(b.Id, error.Exception.Message);
        Assert.False(Directory.Exists(dest));

        // Each to its own place is what piping is for, and still works.
        var (beforeA, beforeB) = (TreeSnapshot.Take(Cell), TreeSnapshot.Take(CellB));
        File.Delete(Directory.EnumerateFiles(Cell, "*", SearchOption.AllDirectories).First());
        File.Delete(Directory.EnumerateFiles(CellB, "*", SearchOption.AllDirectories).First());
        var restored = Run("Get-Backup -Repository $repo -Latest | Restore-Cell -KeyFile $key -Confirm:$false").AssertNoErrors().Objects<RestoreResult>();
        Assert.Equal([a.Id, b.Id], restored.Select(r => r.RestoredId).Order());
        Assert.Equal(beforeA, TreeSnapshot.Take(Cell));
        Assert.Equal(beforeB, TreeSnapshot.Take(CellB));
    }

    [Fact]
    public void Restore_cell_takes_name_and_id_together_when_the_id_is_that_cells()
    {
        InitRepoWithKey();
        var record = Backup();
        var dest = Temp.Sub("restored");
        Run("Restore-Cell -Name crm -Id $id -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", ("id", record.Id), ("dest", dest)).AssertNoErrors();
        TreeSnapshot.AssertSame(Cell, dest);
        Run("Restore-Cell -Name other -Id $id -Repository $repo -KeyFile $key -Destination $d2 -Confirm:$false", ("id", record.Id), ("d2", Temp.Sub("r2")))
            .AssertError("RestoreIdCellMismatch");
        Assert.False(Directory.Exists(Temp.Sub("r2")));
    }

    [Fact]
    public void Initialize_again_with_the_same_settings_is_harmless_and_with_others_refused()
    {
        var first = Run("Initialize-BackupRepository -Format v1 -Path $repo -Compression gzip -CompressionLevel 4").AssertNoErrors().Single<RepositoryInfo>();
        SampleTree.Create(Cell);
        var record = Run("Backup-Cell -Name crm -Path $cell -Repository $repo").AssertNoErrors().Single<BackupRecord>();
        var again = Run("Initialize-BackupRepository -Format v1 -Path $repo -Compression gzip -CompressionLevel 4").AssertNoErrors().Single<RepositoryInfo>();
        Assert.Equal(first.Id, again.Id);
        var error = Run("Initialize-BackupRepository -Format v1 -Path $repo -Compression zstd -RequireEncryption").AssertError("RepositoryExistsWithOtherSettings");
        Assert.Contains("compression is gzip", error.Exception.Message);
        Assert.Contains("does not require encryption", error.Exception.Message);
        Assert.Equal([record.Id], Run("Get-Backup -Repository $repo").AssertNoErrors().Objects<BackupRecord>().Select(r => r.Id));
        Assert.Equal("gzip:4", again.Compression);
        Assert.False(again.RequireEncryption); // the refused run changed nothing
        Assert.False(Run("Initialize-BackupRepository -Format v1 -Path $repo -Compression gzip -CompressionLevel 4").AssertNoErrors().Single<RepositoryInfo>().RequireEncryption);
    }
}

/// <summary>The same traps against PostgreSQL: `Get-Backup -Latest | Restore-Postgres -TargetDatabase X`.</summary>
public sealed class PostgresInterfaceTrapFaultTests : PostgresTestBase
{
    private readonly PgTestDatabase _second = new(seed: false);

    [Fact]
    public void Latest_piped_into_one_target_database_is_refused_and_safety_backups_are_not_latest()
    {
        InitRepoWithKey(createCell: false);
        _second.Execute("create table t(id int primary key); insert into t values (1), (2);");
        var first = BackupDb();
        var second = Pg($"Backup-Postgres -Database $second {Conn} -Repository $repo -KeyFile $key", ("second", _second.Name)).AssertNoErrors().Single<BackupRecord>();
        var restored = Pg($"Restore-Postgres -Database $db {Conn} -Repository $repo -KeyFile $key -Confirm:$false").AssertNoErrors().Single<DatabaseRestoreResult>();
        Assert.NotNull(restored.SafetyBackupId);

        var latest = Run("Get-Backup -Repository $repo -Latest").AssertNoErrors().Objects<BackupRecord>().Select(r => r.Id).Order().ToList();
        Assert.Equal(new[] { first.Id, second.Id }.Order(), latest);

        var target = Db.Name + "_x";
        var error = Pg($"Get-Backup -Repository $repo -Latest | Restore-Postgres {Conn} -KeyFile $key -TargetDatabase $x -Confirm:$false", ("x", target))
            .AssertError("RestoreSeveralIntoOneTarget");
        Assert.Contains(target, error.Exception.Message);
        Assert.False(PgTestDatabase.Exists(target));
    }

    public override void Dispose()
    {
        _second.Dispose();
        base.Dispose();
    }
}

/// <summary>Restore-MySql -Force, as Restore-Postgres has: a session's open transaction no longer holds the swap.</summary>
public sealed class MySqlInterfaceTrapFaultTests() : MySqlRestoreTestBase(Small())
{
    private static MySqlTestDatabase Small()
    {
        var db = new MySqlTestDatabase(seed: false);
        db.Execute("create table t(id int primary key, v varchar(20)) engine=InnoDB; insert into t values (1, 'a'), (2, 'b');");
        return db;
    }

    [Fact]
    public void Force_ends_sessions_using_the_database_so_the_swap_is_not_held()
    {
        InitRepoWithKey(createCell: false);
        Backup();
        var backedUp = MySqlTestDatabase.Fingerprint(Db.Name);
        Db.Execute("insert into t values (3, 'c')");

        using var user = new MySqlConnection(Server.ConnectionString(Db.Name) + ";Pooling=false");
        user.Open();
        using (var hold = new MySqlCommand("start transaction; select * from t for update;", user)) hold.ExecuteNonQuery();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = My($"Restore-MySql -Database $db {Conn} -Repository $repo -KeyFile $key -Force -Confirm:$false").AssertNoErrors();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"the swap waited {clock.Elapsed} for the open transaction");
        Assert.Contains(result.Warnings, w => w.Contains("-Force: ended 1 session"));
        Assert.Equal(backedUp, MySqlTestDatabase.Fingerprint(Db.Name));
        Assert.ThrowsAny<Exception>(() => new MySqlCommand("select 1", user).ExecuteScalar());
    }
}
