using System.Management.Automation;

namespace BackupTools.Tests.MySql;

/// <summary>Failure paths (and -SkipSafetyBackup) on a small database with a trigger and a foreign key, so they cost little time.</summary>
public sealed class MySqlRestoreFailureTests() : MySqlRestoreTestBase(Small())
{
    private static MySqlTestDatabase Small()
    {
        var db = new MySqlTestDatabase(seed: false);
        db.Execute($"alter database {db.Name} character set latin1 collate latin1_swedish_ci");
        db.Execute("""
            create table t(id int primary key, v varchar(20)); insert into t values (1, 'a'), (2, 'b');
            create table orders_1(id int primary key auto_increment, customer varchar(64));
            create table orders_3 like orders_1; create table orders_9 like orders_1; insert into orders_9(customer) values ('x');
            create trigger t_upper before insert on t for each row set new.v = upper(new.v);
            create table t_child(id int primary key, tid int, foreign key (tid) references t(id)) engine=InnoDB; insert into t_child values (1, 1);
            """);
        return db;
    }

    private static string Fingerprint(string database) => MySqlTestDatabase.Fingerprint(database);

    [Fact]
    public void Corrupted_backup_fails_before_the_swap_leaving_the_live_database_untouched_and_no_staging_database()
    {
        InitRepoWithKey(createCell: false);
        var record = Backup();
        Db.Execute("insert into orders_3(customer) values ('live change')");
        var live = Fingerprint(Db.Name);
        var data = Path.Combine(Repo, "backups", record.Id, "data");
        using (var f = new FileStream(data, FileMode.Open)) { f.Position = f.Length / 2; var b = f.ReadByte(); f.Position--; f.WriteByte((byte)(b ^ 0xFF)); }

        My($"Restore-MySql -Database $db {Conn} -Repository $repo -KeyFile $key -Confirm:$false").AssertError("EncryptedSegmentAuthenticationFailed");
        Assert.Equal(live, Fingerprint(Db.Name));
        Assert.Empty(Leftovers(Db.Name));
    }

    [Fact]
    public void Wrong_password_unknown_record_and_WhatIf_change_nothing()
    {
        InitRepoWithKey(createCell: false);
        var record = Backup();
        Db.Execute("insert into orders_1(customer) values ('live change')");
        var live = Fingerprint(Db.Name);

        var wrong = new PSCredential(Server.User, new System.Net.NetworkCredential("", "Wr0ng-Pa55").SecurePassword);
        var error = My("Restore-MySql -Database $db -Server $myServer -Port $myPort -Credential $bad -Repository $repo -KeyFile $key -Confirm:$false", ("bad", wrong))
            .AssertError("MySqlAuthenticationFailed");
        Assert.DoesNotContain("Wr0ng-Pa55", error.Exception.ToString());
        var missing = record.Id[..^6] + (record.Id.EndsWith("000000") ? "111111" : "000000");
        My($"Restore-MySql -Id $id {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("id", missing)).AssertError("BackupNotFound");
        My($"Restore-MySql -Database never_backed_up {Conn} -Repository $repo -KeyFile $key -Confirm:$false").AssertError("RestoreNoBackups");
        My($"Restore-MySql -Database $db -TargetDatabase mysql {Conn} -Repository $repo -KeyFile $key -Confirm:$false").AssertError("MySqlSystemDatabase");
        Assert.Empty(My($"Restore-MySql -Database $db {Conn} -Repository $repo -KeyFile $key -WhatIf").AssertNoErrors().Output);

        Assert.Equal(live, Fingerprint(Db.Name));
        Assert.Equal([record.Id], Run("Get-Backup -Repository $repo").Objects<BackupRecord>().Select(r => r.Id));
        Assert.Empty(Leftovers(Db.Name));
    }

    [Fact]
    public void SkipSafetyBackup_is_a_warning_and_foreign_keys_follow_their_tables_past_a_view_named_like_a_table()
    {
        InitRepoWithKey(createCell: false);
        var original = Fingerprint(Db.Name);
        Backup();
        Db.Execute("delete from orders_9; drop table orders_3; create view orders_3 as select 1 as x;");
        var result = My($"Restore-MySql -Database $db {Conn} -Repository $repo -KeyFile $key -SkipSafetyBackup -Confirm:$false").AssertNoErrors();
        Assert.Contains(result.Warnings, w => w.Contains("-SkipSafetyBackup"));
        Assert.True(result.Single<DatabaseRestoreResult>().SafetyBackupSkipped);
        Assert.Single(Run("Get-Backup -Repository $repo").Objects<BackupRecord>());
        Assert.Equal(original, Fingerprint(Db.Name));
        // The foreign key moved with its tables and points at the restored parent, not the dropped old one.
        Assert.Equal([$"{Db.Name}|t"], MySqlTestDatabase.Column(null, $"select unique_constraint_schema, referenced_table_name from information_schema.referential_constraints where constraint_schema = '{Db.Name}'"));
        Db.Execute("insert into t(id, v) values (3, 'c'); insert into t_child values (2, 3);");
        Assert.Equal(["C"], MySqlTestDatabase.Column(Db.Name, "select v from t where id = 3"));

        // A new database gets the backed-up one's character set and collation.
        var copy = Db.Name + "_copy";
        ExtraDatabases.Add(copy);
        My($"Restore-MySql -Database $db -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("copy", copy)).AssertNoErrors();
        Assert.Equal(["latin1|latin1_swedish_ci"], MySqlTestDatabase.Column(null, $"select default_character_set_name, default_collation_name from information_schema.schemata where schema_name = '{copy}'"));
    }
}
