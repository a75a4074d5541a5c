namespace BackupTools.Tests.MySql;

/// <summary>Round trips over the seeded application schema (120 shards, utf8mb4, BLOBs, view, routines, trigger, event).</summary>
public sealed class MySqlRestoreTests() : MySqlRestoreTestBase(new MySqlTestDatabase())
{
    /// <summary>Fingerprint plus an ordered md5 of the utf8mb4 names and BLOBs, and the server's own view of the objects' state.</summary>
    private static string Contents(string database) => MySqlTestDatabase.Fingerprint(database)
        + string.Join(",", MySqlTestDatabase.Column(database, "select md5(group_concat(id, ':', name, ':', coalesce(hex(avatar), '-') order by id)) from customers"))
        + string.Join(",", MySqlTestDatabase.Column(database, $"select event_name, status, interval_value, interval_field from information_schema.events where event_schema = '{database}'"));

    [Fact]
    public void Pipeline_restore_over_a_modified_live_database_brings_back_tables_and_working_objects()
    {
        InitRepoWithKey(createCell: false);
        var original = Contents(Db.Name);
        var record = Backup();
        Db.Execute("""
            insert into orders_7(customer, amount) values ('late', 9.99);
            update customers set name = 'renamed', avatar = null where id = 1;
            drop view a_view_on_a_view, order_totals; drop procedure touch_customer; drop trigger customers_log;
            create table added_after_backup(id int primary key);
            create trigger orders_7_audit before insert on orders_7 for each row set new.note = 'audited';
            """);
        Assert.NotEqual(original, Contents(Db.Name));

        var result = My($"Get-Backup -Repository $repo -Id $id | Restore-MySql {Conn} -KeyFile $key -Confirm:$false", ("id", record.Id))
            .AssertNoErrors().Single<DatabaseRestoreResult>();
        Assert.True(result.ReplacedExistingDatabase);
        Assert.Equal(123, result.Tables);
        Assert.Equal(original, Contents(Db.Name));
        Assert.Equal(["Zoë 😀 北京|89504E470D0A1A0A00FF10"], MySqlTestDatabase.Column(Db.Name, "select name, hex(avatar) from customers where id = 1"));
        Assert.Empty(MySqlTestDatabase.Column(Db.Name, "show tables like 'added_after_backup'"));
        Assert.Empty(Leftovers(Db.Name));

        // The objects work against the restored tables: procedure, function, view, trigger.
        Db.Execute("call touch_customer(2); insert into customers(name) values ('after restore');");
        Assert.Equal(["1"], MySqlTestDatabase.Column(Db.Name, "select shard_of(121)"));
        Assert.Equal(["orders_0|0.00"], MySqlTestDatabase.Column(Db.Name, "select shard, total - 1.75 from order_totals"));
        // Created after the view it reads (it sorts first, so its first attempt fails and is retried).
        Assert.Equal(["3.50"], MySqlTestDatabase.Column(Db.Name, "select doubled from a_view_on_a_view"));
        Assert.Equal(["1"], MySqlTestDatabase.Column(Db.Name, "select count(*) from events_log where payload = 'new customer 3'"));
        Db.Execute("insert into orders_7(customer) values ('no audit')");
        Assert.Equal(["NULL"], MySqlTestDatabase.Column(Db.Name, "select note from orders_7 where customer = 'no audit'"));

        // The safety backup holds the database as it was just before the restore.
        var safety = Run("Get-Backup -Repository $repo -Id $id", ("id", result.SafetyBackupId)).AssertNoErrors().Single<BackupRecord>();
        Assert.Equal("safety-before-restore", safety.Tags["reason"]);
        Assert.Contains(((object?[])safety.EngineInfo["tables"]!).Cast<IReadOnlyDictionary<string, object?>>(), t => (string)t["table"]! == "added_after_backup");
    }

    [Fact]
    public void Restore_into_a_new_name_creates_it_with_objects_bound_to_it_and_leaves_the_original_alone()
    {
        InitRepoWithKey(createCell: false);
        var original = Contents(Db.Name);
        Backup();
        Db.Execute("insert into orders_0(customer, amount) values ('live', 100)");
        var live = Contents(Db.Name);
        var copy = Db.Name + "_copy";
        ExtraDatabases.Add(copy);

        Assert.Empty(My($"Restore-MySql -Database $db -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -WhatIf", ("copy", copy)).AssertNoErrors().Output);
        Assert.Empty(MySqlTestDatabase.Column(null, $"show databases like '{copy}'"));

        var result = My($"Restore-MySql -Database $db -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("copy", copy))
            .AssertNoErrors().Single<DatabaseRestoreResult>();
        Assert.False(result.ReplacedExistingDatabase);
        Assert.Null(result.SafetyBackupId);
        Assert.Equal(original.Replace(Db.Name, copy), Contents(copy));
        Assert.Equal(live, Contents(Db.Name));
        // The copy's view reads the copy's table, not the original's.
        Assert.Equal(["orders_0|1.75"], MySqlTestDatabase.Column(copy, "select shard, total from order_totals"));
        MySqlTestDatabase.Execute(copy, "insert into customers(name) values ('copy only')");
        Assert.Equal(["1"], MySqlTestDatabase.Column(copy, "select count(*) from events_log where payload like 'new customer %'"));
        Assert.Equal(["0"], MySqlTestDatabase.Column(Db.Name, "select count(*) from events_log where payload like 'new customer %'"));
        Assert.Empty(Leftovers(copy));
    }
}
