using System.Text;
using BackupTools.Tests.Cells;
using BackupTools.Tests.MySql;
using BackupTools.Tests.Postgres;

namespace BackupTools.Tests.Faults;

/// <summary>
/// Issue 14 item 9: a damaged backup loaded by a database client failed with the client's complaint (a syntax or
/// character-set error, "fix the cause shown above") because the load failed before the stream's hashes were
/// compared. The damage must be the reported cause, naming the backup.
/// </summary>
public sealed class MisleadingMySqlErrorFaultTests() : MySqlRestoreTestBase(Seeded())
{
    private static MySqlTestDatabase Seeded()
    {
        var db = new MySqlTestDatabase(seed: false);
        db.Execute("create table t(id int primary key, v varchar(40)); insert into t values (1, 'first'), (2, 'second');");
        return db;
    }

    [Fact]
    public void Damaged_dump_is_reported_as_damage_not_as_the_clients_error()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo -Compression none | Out-Null").AssertNoErrors();
        var record = My($"Backup-MySql -Database $db {Conn} -Repository $repo").AssertNoErrors().Single<BackupRecord>();
        Db.Execute("insert into t values (3, 'live change')");
        var live = MySqlTestDatabase.Fingerprint(Db.Name);
        Corrupt(Path.Combine(Repo, "backups", record.Id, "data"), "INSERT INTO", "XNSERT INTO"); // the client stops on it

        var error = My($"Restore-MySql -Database $db {Conn} -Repository $repo -Confirm:$false").AssertError("StoredHashMismatch");
        Assert.Contains($"Backup {record.Id} is damaged", error.Exception.Message);
        Assert.Contains("ERROR 1064", error.Exception.Message); // the client's complaint stays visible, as the consequence
        Assert.Equal(live, MySqlTestDatabase.Fingerprint(Db.Name));
        Assert.Empty(Leftovers(Db.Name));
    }

    internal static void Corrupt(string path, string find, string replace)
    {
        var bytes = File.ReadAllBytes(path);
        var at = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(find));
        Assert.True(at >= 0, $"'{find}' not found in {path}");
        Encoding.ASCII.GetBytes(replace).CopyTo(bytes, at);
        File.WriteAllBytes(path, bytes);
    }
}

public sealed class MisleadingPostgresErrorFaultTests : PostgresTestBase
{
    [Fact]
    public void Damaged_archive_is_reported_as_damage_not_as_pg_restores_error()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo -Compression none | Out-Null").AssertNoErrors();
        var record = Pg($"Backup-Postgres -Database $db {Conn} -Repository $repo").AssertNoErrors().Single<BackupRecord>();
        var live = PgTestDatabase.Fingerprint(Db.Name);
        MisleadingMySqlErrorFaultTests.Corrupt(Path.Combine(Repo, "backups", record.Id, "data"), "PGDMP", "XGDMP"); // pg_restore: not an archive

        var error = Pg($"Restore-Postgres -Database $db {Conn} -Repository $repo -Confirm:$false").AssertError("StoredHashMismatch");
        Assert.Contains($"Backup {record.Id} is damaged", error.Exception.Message);
        Assert.Equal(live, PgTestDatabase.Fingerprint(Db.Name));
    }
}

/// <summary>Issue 14 item 9: a directory given as a key file was reported as "does not exist".</summary>
public sealed class MisleadingKeyFileErrorFaultTests : CellTestBase
{
    [Fact]
    public void Directory_as_key_file_is_named_as_a_directory()
    {
        InitRepoWithKey();
        var folder = Temp.Sub("keys");
        Directory.CreateDirectory(folder);
        var backup = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $folder", ("folder", folder)).AssertError("KeyFileIsDirectory");
        Assert.Contains("is a directory", backup.Exception.Message);
        Run("New-BackupKey -Path $folder", ("folder", folder)).AssertError("KeyFileIsDirectory");
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }
}

/// <summary>Issue 14 item 9 for Redis: a damaged snapshot is reported as damage (naming the backup), not as a bad RDB.</summary>
[Collection("servers")]
public sealed class MisleadingRedisErrorFaultTests : BackupTools.Tests.Redis.RedisTestBase
{
    [Fact]
    public void Damaged_snapshot_is_reported_as_damage_and_the_server_is_not_touched()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo -Compression none | Out-Null").AssertNoErrors();
        var source = NewInstance("source");
        using (var c = source.Connect())
            c.GetDatabase(0).StringSet(Enumerable.Range(0, 10).Select(i => new KeyValuePair<StackExchange.Redis.RedisKey, StackExchange.Redis.RedisValue>($"backed-up:{i}", i)).ToArray());
        var record = Run("Backup-RedisRdb -Port $p -Repository $repo", ("p", source.Port)).AssertNoErrors().Single<BackupRecord>();
        MisleadingMySqlErrorFaultTests.Corrupt(Path.Combine(Repo, "backups", record.Id, "data"), "backed-up:5", "backed-uX:5"); // only the RDB's CRC trailer can tell
        var target = NewInstance("target");
        using (var c = target.Connect()) c.GetDatabase(0).StringSet("live", "1");

        var error = Run("Restore-RedisRdb -Id $id -Repository $repo -Port $p -Confirm:$false", ("id", record.Id), ("p", target.Port)).AssertError("StoredHashMismatch");
        Assert.Contains($"Backup {record.Id} is damaged", error.Exception.Message);
        using var check = target.Connect();
        Assert.Equal("1", (string?)check.GetDatabase(0).StringGet("live"));
        Assert.Equal(1, check.GetServers()[0].DatabaseSize(0));
    }
}
