using System.Management.Automation;
using System.Net;
using BackupTools.Tests.Servers;
using BackupTools.Tests.Storage;

namespace BackupTools.Tests.MySql;

/// <summary>Backup-MySql and Restore-MySql against an s3:// repository reached with -StorageCredential only (no AWS environment).</summary>
public sealed class MySqlS3RepositoryTests() : MySqlRestoreTestBase(Small())
{
    private readonly S3TestBucket _bucket = new();

    private static MySqlTestDatabase Small()
    {
        var db = new MySqlTestDatabase(seed: false);
        db.Execute("create table t(id int primary key, v varchar(20)) engine=InnoDB; insert into t values (1, 'eins'), (2, 'zwei 😀');");
        return db;
    }

    [Fact]
    public void Backup_and_restore_through_an_s3_repository_with_its_own_storage_credential()
    {
        var storage = ("sc", (object?)new PSCredential(TestServers.S3.AccessKey, new NetworkCredential("", TestServers.S3.SecretKey).SecurePassword));
        var s3 = ("s3", (object?)_bucket.Uri("mysql"));
        var copy = Db.Name + "_s3copy";
        ExtraDatabases.Add(copy);
        My("Initialize-BackupRepository -Format v1 -Path $s3 -StorageCredential $sc | Out-Null; New-BackupKey -Path $key | Out-Null", s3, storage).AssertNoErrors();
        var record = My($"Backup-MySql -Database $db {Conn} -Repository $s3 -StorageCredential $sc -KeyFile $key", s3, storage).AssertNoErrors().Single<BackupRecord>();
        Assert.StartsWith($"s3://{_bucket.Name}/mysql", record.Repository);

        // The record pipes its Repository by property name; the credential is this command's own.
        My($"Get-Backup -Repository $s3 -StorageCredential $sc | Restore-MySql -TargetDatabase $copy {Conn} -StorageCredential $sc -KeyFile $key -Confirm:$false",
            s3, storage, ("copy", copy)).AssertNoErrors().Single<DatabaseRestoreResult>();
        Assert.Equal(MySqlTestDatabase.Column(Db.Name, "select id, hex(v) from t order by id"), MySqlTestDatabase.Column(copy, "select id, hex(v) from t order by id"));
    }

    public override void Dispose()
    {
        _bucket.Dispose();
        base.Dispose();
    }
}
