using System.Management.Automation;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.MySql;

[Collection("servers")]
public sealed class MySqlRestoreTests : CellTestBase
{
    private readonly MySqlTestDatabase _db = new();
    private readonly List<string> _extra = [];
    private static MySqlServer Server => TestServers.MySql;
    private const string Conn = "-Server $myServer -Port $myPort -Credential $cred";

    private PsResult My(string script, params (string Name, object? Value)[] extra)
    {
        var credential = new PSCredential(Server.User, new System.Net.NetworkCredential("", Server.Password).SecurePassword);
        var all = new List<(string, object?)> { ("db", _db.Name), ("myServer", Server.Host), ("myPort", Server.Port), ("cred", credential) };
        all.AddRange(extra);
        return Run(script, all.ToArray());
    }

    private BackupRecord Backup() => My($"Backup-MySql -Database $db {Conn} -Repository $repo -KeyFile $key").AssertNoErrors().Single<BackupRecord>();

    /// <summary>Fingerprint plus an ordered md5 of the utf8mb4 names and BLOBs, and the server's own view of the objects' state.</summary>
    private static string Contents(string database) => MySqlTestDatabase.Fingerprint(database)
        + string.Join(",", MySqlTestDatabase.Column(database, "select md5(group_concat(id, ':', name, ':', coalesce(hex(avatar), '-') order by id)) from customers"))
        + string.Join(",", MySqlTestDatabase.Column(database, $"select event_name, status, interval_value, interval_field from information_schema.events where event_schema = '{database}'"));

    private static List<string> Leftovers(string database) =>
        MySqlTestDatabase.Column(null, $"select schema_name from information_schema.schemata where schema_name like '{database}\\_\\_bt\\_%'");

    [Fact]
    public void Pipeline_restore_over_a_modified_live_database_brings_back_tables_and_working_objects()
    {
        InitRepoWithKey(createCell: false);
        var original = Contents(_db.Name);
        var record = Backup();
        _db.Execute("""
            insert into orders_7(customer, amount) values ('late', 9.99);
            update customers set name = 'renamed', avatar = null where id = 1;
            drop view order_totals; drop procedure touch_customer; drop trigger customers_log;
            create table added_after_backup(id int primary key);
            create trigger orders_7_audit before insert on orders_7 for each row set new.note = 'audited';
            """);
        Assert.NotEqual(original, Contents(_db.Name));

        var result = My($"Get-Backup -Repository $repo -Id $id | Restore-MySql {Conn} -KeyFile $key -Confirm:$false", ("id", record.Id))
            .AssertNoErrors().Single<DatabaseRestoreResult>();
        Assert.True(result.ReplacedExistingDatabase);
        Assert.Equal(123, result.Tables);
        Assert.Equal(original, Contents(_db.Name));
        Assert.Equal(["Zoë 😀 北京|89504E470D0A1A0A00FF10"], MySqlTestDatabase.Column(_db.Name, "select name, hex(avatar) from customers where id = 1"));
        Assert.Empty(MySqlTestDatabase.Column(_db.Name, "show tables like 'added_after_backup'"));
        Assert.Empty(Leftovers(_db.Name));

        // The objects work against the restored tables: procedure, function, view, trigger.
        _db.Execute("call touch_customer(2); insert into customers(name) values ('after restore');");
        Assert.Equal(["1"], MySqlTestDatabase.Column(_db.Name, "select shard_of(121)"));
        Assert.Equal(["orders_0|0.00"], MySqlTestDatabase.Column(_db.Name, "select shard, total - 1.75 from order_totals"));
        Assert.Equal(["1"], MySqlTestDatabase.Column(_db.Name, "select count(*) from events_log where payload = 'new customer 3'"));
        _db.Execute("insert into orders_7(customer) values ('no audit')");
        Assert.Equal(["NULL"], MySqlTestDatabase.Column(_db.Name, "select note from orders_7 where customer = 'no audit'"));

        // The safety backup holds the database as it was just before the restore.
        var safety = Run("Get-Backup -Repository $repo -Id $id", ("id", result.SafetyBackupId)).AssertNoErrors().Single<BackupRecord>();
        Assert.Equal("safety-before-restore", safety.Tags["reason"]);
        Assert.Contains(((object?[])safety.EngineInfo["tables"]!).Cast<IReadOnlyDictionary<string, object?>>(), t => (string)t["table"]! == "added_after_backup");
    }

    [Fact]
    public void Restore_into_a_new_name_creates_it_with_objects_bound_to_it_and_leaves_the_original_alone()
    {
        InitRepoWithKey(createCell: false);
        var original = Contents(_db.Name);
        Backup();
        _db.Execute("insert into orders_0(customer, amount) values ('live', 100)");
        var live = Contents(_db.Name);
        var copy = _db.Name + "_copy";
        _extra.Add(copy);

        Assert.Empty(My($"Restore-MySql -Database $db -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -WhatIf", ("copy", copy)).AssertNoErrors().Output);
        Assert.Empty(MySqlTestDatabase.Column(null, $"show databases like '{copy}'"));

        var result = My($"Restore-MySql -Database $db -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("copy", copy))
            .AssertNoErrors().Single<DatabaseRestoreResult>();
        Assert.False(result.ReplacedExistingDatabase);
        Assert.Null(result.SafetyBackupId);
        Assert.Equal(original.Replace(_db.Name, copy), Contents(copy));
        Assert.Equal(live, Contents(_db.Name));
        // The copy's view reads the copy's table, not the original's.
        Assert.Equal(["orders_0|1.75"], MySqlTestDatabase.Column(copy, "select shard, total from order_totals"));
        MySqlTestDatabase.Execute(copy, "insert into customers(name) values ('copy only')");
        Assert.Equal(["1"], MySqlTestDatabase.Column(copy, "select count(*) from events_log where payload like 'new customer %'"));
        Assert.Equal(["0"], MySqlTestDatabase.Column(_db.Name, "select count(*) from events_log where payload like 'new customer %'"));
        Assert.Empty(Leftovers(copy));
    }

    [Fact]
    public void Corrupted_backup_fails_before_the_swap_leaving_the_live_database_untouched_and_no_staging_database()
    {
        InitRepoWithKey(createCell: false);
        var record = Backup();
        _db.Execute("insert into orders_3(customer) values ('live change')");
        var live = Contents(_db.Name);
        var data = Path.Combine(Repo, "backups", record.Id, "data");
        using (var f = new FileStream(data, FileMode.Open)) { f.Position = f.Length / 2; var b = f.ReadByte(); f.Position--; f.WriteByte((byte)(b ^ 0xFF)); }

        My($"Restore-MySql -Database $db {Conn} -Repository $repo -KeyFile $key -Confirm:$false").AssertError("EncryptedSegmentAuthenticationFailed");
        Assert.Equal(live, Contents(_db.Name));
        Assert.Empty(Leftovers(_db.Name));
    }

    [Fact]
    public void Wrong_password_unknown_record_and_WhatIf_change_nothing()
    {
        InitRepoWithKey(createCell: false);
        var record = Backup();
        _db.Execute("insert into orders_1(customer) values ('live change')");
        var live = Contents(_db.Name);

        var wrong = new PSCredential(Server.User, new System.Net.NetworkCredential("", "Wr0ng-Pa55").SecurePassword);
        var error = My("Restore-MySql -Database $db -Server $myServer -Port $myPort -Credential $bad -Repository $repo -KeyFile $key -Confirm:$false", ("bad", wrong))
            .AssertError("MySqlAuthenticationFailed");
        Assert.DoesNotContain("Wr0ng-Pa55", error.Exception.ToString());
        var missing = record.Id[..^6] + (record.Id.EndsWith("000000") ? "111111" : "000000");
        My($"Restore-MySql -Id $id {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("id", missing)).AssertError("BackupNotFound");
        My($"Restore-MySql -Database never_backed_up {Conn} -Repository $repo -KeyFile $key -Confirm:$false").AssertError("RestoreNoBackups");
        My($"Restore-MySql -Database $db -TargetDatabase mysql {Conn} -Repository $repo -KeyFile $key -Confirm:$false").AssertError("MySqlSystemDatabase");
        Assert.Empty(My($"Restore-MySql -Database $db {Conn} -Repository $repo -KeyFile $key -WhatIf").AssertNoErrors().Output);

        Assert.Equal(live, Contents(_db.Name));
        Assert.Equal([record.Id], Run("Get-Backup -Repository $repo").Objects<BackupRecord>().Select(r => r.Id));
        Assert.Empty(Leftovers(_db.Name));
    }

    [Fact]
    public void SkipSafetyBackup_is_recorded_as_a_warning_and_takes_no_backup()
    {
        InitRepoWithKey(createCell: false);
        var original = Contents(_db.Name);
        Backup();
        _db.Execute("delete from orders_9");
        var result = My($"Restore-MySql -Database $db {Conn} -Repository $repo -KeyFile $key -SkipSafetyBackup -Confirm:$false").AssertNoErrors();
        Assert.Contains(result.Warnings, w => w.Contains("-SkipSafetyBackup"));
        Assert.True(result.Single<DatabaseRestoreResult>().SafetyBackupSkipped);
        Assert.Single(Run("Get-Backup -Repository $repo").Objects<BackupRecord>());
        Assert.Equal(original, Contents(_db.Name));
    }

    public override void Dispose()
    {
        foreach (var database in _extra) MySqlTestDatabase.Drop(database);
        _db.Dispose();
        base.Dispose();
    }
}
