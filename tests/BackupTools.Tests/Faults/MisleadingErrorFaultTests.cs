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
        Run("Initialize-BackupRepository -Path $repo -Compression none | Out-Null").AssertNoErrors();
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
        Run("Initialize-BackupRepository -Path $repo -Compression none | Out-Null").AssertNoErrors();
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
