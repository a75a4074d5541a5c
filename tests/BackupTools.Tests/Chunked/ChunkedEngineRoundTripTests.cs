using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.MySql;
using BackupTools.Tests.Postgres;
using BackupTools.Tests.Redis;

namespace BackupTools.Tests.Chunked;

/// <summary>What a format-2 repository stores: its files, and the stored bytes of a backup (new blobs only).</summary>
internal static class ChunkedRepo
{
    public static long PackBytes(string root) =>
        Directory.Exists(Path.Combine(root, "data")) ? Directory.EnumerateFiles(Path.Combine(root, "data"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;

    public static void AddRandomFile(string path, int length)
    {
        var bytes = new byte[length];
        new Random(11).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
    }

    public static void AssertChunked(string root, string id)
    {
        Assert.False(File.Exists(Path.Combine(root, "backups", id, "data")), "a v2 backup has no single data object");
        Assert.Contains("\"layout\": \"chunked\"", File.ReadAllText(Path.Combine(root, "backups", id, "manifest.json")));
    }
}

public sealed class ChunkedCellTests : CellTestBase
{
    [Fact]
    public void Full_incremental_restore_and_check_through_a_v2_repository_and_a_repeat_full_stores_almost_nothing()
    {
        InitRepoWithKey(format: "v2");
        ChunkedRepo.AddRandomFile(Path.Combine(Cell, "big.bin"), 16 << 20); // enough chunks that the changing tar head is a small part
        var full = Backup();
        ChunkedRepo.AssertChunked(Repo, full.Id);
        var afterFull = ChunkedRepo.PackBytes(Repo);
        File.WriteAllText(Path.Combine(Cell, "added-later.txt"), "incremental content");
        var incremental = Backup("Incremental");
        var checks = Run("Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $key").AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal([full.Id, incremental.Id], checks.Select(c => c.Id));
        Assert.All(checks, c => Assert.True(c.Passed, string.Join("; ", c.Checks)));

        var restored = Temp.Sub("restored");
        Run("Restore-Cell -Name crm -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", ("dest", restored)).AssertNoErrors();
        TreeSnapshot.AssertSame(Cell, restored);

        var beforeRepeat = ChunkedRepo.PackBytes(Repo);
        var repeat = Backup();
        Assert.True(ChunkedRepo.PackBytes(Repo) - beforeRepeat < afterFull / 4, $"repeat full added {ChunkedRepo.PackBytes(Repo) - beforeRepeat} bytes, the first {afterFull}");
        Assert.True(repeat.StoredBytes < full.StoredBytes / 4);
    }

    [Fact]
    public void A_v1_backup_copied_into_a_v2_repository_is_rechunked_restores_and_copies_back_out()
    {
        InitRepoWithKey(); // v1
        var v1 = Backup();
        var target = Temp.Sub("v2");
        Run("Initialize-BackupRepository -Path $t -Format v2 | Out-Null", ("t", target)).AssertNoErrors();
        Run("Get-Backup -Repository $repo | Copy-Backup -Target $t -KeyFile $key", ("t", target)).AssertNoErrors();
        ChunkedRepo.AssertChunked(target, v1.Id);
        var restored = Temp.Sub("restored");
        Run("Restore-Cell -Id $id -Repository $t -KeyFile $key -Destination $dest -Confirm:$false", ("id", v1.Id), ("t", target), ("dest", restored)).AssertNoErrors();
        TreeSnapshot.AssertSame(Cell, restored);

        // A chunked backup is reassembled into single objects for a format-1 repository.
        var v2 = Run("Backup-Cell -Name crm -Path $cell -Repository $t -KeyFile $key", ("t", target)).AssertNoErrors().Single<BackupRecord>();
        var other = Temp.Sub("other");
        Run("Initialize-BackupRepository -Format v1 -Path $o | Out-Null", ("o", other)).AssertNoErrors();
        Run("Copy-Backup -Id $id -Repository $t -Target $o -KeyFile $key", ("id", v2.Id), ("t", target), ("o", other)).AssertNoErrors();
        Assert.Contains("\"layout\": \"single-object\"", File.ReadAllText(Path.Combine(other, "backups", v2.Id, "manifest.json")));
    }

    [Fact]
    public void A_v2_backup_without_a_key_is_refused_with_what_to_do()
    {
        InitRepoWithKey(format: "v2");
        var error = Run("Backup-Cell -Name crm -Path $cell -Repository $repo").AssertError("ChunkedRepositoryRequiresKey");
        Assert.Contains("-KeyFile", error.ErrorDetails?.RecommendedAction ?? error.Exception.Message);
        Assert.Equal(2, Run("Initialize-BackupRepository -Path $repo -Format v2").AssertNoErrors().Single<RepositoryInfo>().FormatVersion);
        Run("Initialize-BackupRepository -Format v1 -Path $repo").AssertError("RepositoryExistsWithOtherSettings");
    }
}

public sealed class ChunkedPostgresTests : PostgresTestBase
{
    [Fact]
    public void Dump_restores_from_v2_and_a_second_dump_of_the_same_database_adds_little()
    {
        InitRepoWithKey(createCell: false, format: "v2");
        var first = BackupDb();
        ChunkedRepo.AssertChunked(Repo, first.Id);
        var afterFirst = ChunkedRepo.PackBytes(Repo);
        var second = BackupDb();
        Assert.True(ChunkedRepo.PackBytes(Repo) - afterFirst < afterFirst / 2, $"second dump added {ChunkedRepo.PackBytes(Repo) - afterFirst} of {afterFirst}");

        var copy = Db.Name + "_v2copy";
        try
        {
            Pg($"Restore-Postgres -Id $id -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("id", second.Id), ("copy", copy)).AssertNoErrors();
            Assert.Equal(PgTestDatabase.Fingerprint(Db.Name), PgTestDatabase.Fingerprint(copy));
        }
        finally
        {
            PgTestDatabase.Drop(copy);
        }
        var check = Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", first.Id)).AssertNoErrors().Single<IntegrityResult>();
        Assert.True(check.Passed, string.Join("; ", check.Checks));
    }
}

public sealed class ChunkedMySqlTests() : MySqlRestoreTestBase(new MySqlTestDatabase())
{
    [Fact]
    public void Dump_restores_from_v2_into_a_new_database()
    {
        InitRepoWithKey(createCell: false, format: "v2");
        var record = Backup();
        ChunkedRepo.AssertChunked(Repo, record.Id);
        var copy = Db.Name + "_v2copy";
        ExtraDatabases.Add(copy);
        My($"Restore-MySql -Database $db -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("copy", copy)).AssertNoErrors();
        Assert.Equal(MySqlTestDatabase.Fingerprint(Db.Name).Replace(Db.Name, copy), MySqlTestDatabase.Fingerprint(copy));
        var check = Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", record.Id)).AssertNoErrors().Single<IntegrityResult>();
        Assert.True(check.Passed, string.Join("; ", check.Checks));
    }
}

[Collection("servers")]
public sealed class ChunkedRedisTests : RedisTestBase
{
    [Fact]
    public void Rdb_snapshot_restores_from_v2_onto_another_server()
    {
        InitRepoWithKey(createCell: false, format: "v2");
        var source = NewInstance("source");
        using (var connection = source.Connect()) RedisData.Seed(connection, [0, 2]);
        var record = Run("Backup-RedisRdb -Server 127.0.0.1 -Port $p -Repository $repo -KeyFile $key", ("p", source.Port)).AssertNoErrors().Single<BackupRecord>();
        ChunkedRepo.AssertChunked(Repo, record.Id);
        var check = Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", record.Id)).AssertNoErrors().Single<IntegrityResult>();
        Assert.True(check.Passed, string.Join("; ", check.Checks));

        var copy = NewInstance("copy");
        Run("Restore-RedisRdb -Id $id -Repository $repo -KeyFile $key -Server 127.0.0.1 -Port $p -Confirm:$false", ("id", record.Id), ("p", copy.Port)).AssertNoErrors();
        using var a = source.Connect();
        using var b = copy.Connect();
        RedisData.AssertSame(RedisData.Fingerprint(a, [0, 2]), RedisData.Fingerprint(b, [0, 2]));
    }
}
