using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Postgres;

public sealed class PostgresRoundTripTests : PostgresTestBase
{
    [Fact]
    public void Backup_then_restore_to_a_new_database_reproduces_contents_sequences_and_objects()
    {
        InitRepoWithKey(createCell: false);
        var record = BackupDb();
        Assert.Equal("postgres", record.Engine);
        Assert.Equal(Db.Name, record.Cell);
        Assert.StartsWith("15", record.EngineInfo["serverVersion"]!.ToString());
        Assert.Equal("UTF8", record.EngineInfo["encoding"]);
        var tables = ((object?[])record.EngineInfo["tables"]!).Cast<IReadOnlyDictionary<string, object?>>().ToList();
        Assert.Contains(tables, t => (string)t["table"]! == "invoices" && (long)t["rows"]! == 20000 && (bool)t["exact"]!);

        var copy = Db.Name + "_copy";
        try
        {
            var result = Pg($"Restore-Postgres -Id $id -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("id", record.Id), ("copy", copy))
                .AssertNoErrors().Single<DatabaseRestoreResult>();
            Assert.False(result.ReplacedExistingDatabase);
            Assert.Equal(PgTestDatabase.Fingerprint(Db.Name), PgTestDatabase.Fingerprint(copy));
        }
        finally
        {
            PgTestDatabase.Drop(copy);
        }
    }

    [Fact]
    public void Pipeline_backup_then_restore_test_passes_and_measures_the_restore()
    {
        InitRepoWithKey(createCell: false);
        var result = Pg($"Backup-Postgres -Database $db {Conn} -Repository $repo -KeyFile $key | Test-BackupIntegrity -KeyFile $key -RestoreTest {Conn}")
            .AssertNoErrors().Single<IntegrityResult>();
        Assert.True(result.Passed, string.Join("; ", result.Checks));
        Assert.Contains(result.Checks, c => c.Name == "data:pg_restore-list" && c.Passed);
        Assert.Contains(result.Checks, c => c.Name == "restore-test" && c.Passed && c.Detail.Contains("row counts match"));
        Assert.NotNull(result.RestoreDuration);
        var leftovers = (long)PgTestDatabase.Scalar("postgres", "select count(*) from pg_database where datname like '%__bt_test_%'")!;
        Assert.Equal(0, leftovers);
    }

    [Fact]
    public void Restore_test_reports_each_table_whose_rows_differ()
    {
        InitRepoWithKey(createCell: false);
        var record = BackupDb();
        // Tamper with the manifest's expectations (as if rows went missing from the dump).
        var manifestPath = Path.Combine(Repo, "backups", record.Id, "manifest.json");
        File.WriteAllText(manifestPath, File.ReadAllText(manifestPath).Replace("\"rows\": 20000", "\"rows\": 20001"));
        var result = Pg($"Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key -RestoreTest {Conn}", ("id", record.Id)).Single<IntegrityResult>();
        Assert.False(result.Passed);
        var check = Assert.Single(result.Checks, c => c.Name == "restore-test");
        Assert.Contains("sales.invoices: 20000 rows restored, 20001 backed up", check.Detail);
    }

    [Fact]
    public void Replacing_a_live_database_takes_a_safety_backup_and_swaps_it_in()
    {
        InitRepoWithKey(createCell: false);
        var before = PgTestDatabase.Fingerprint(Db.Name);
        var record = BackupDb();
        Db.Execute("delete from sales.invoices where id % 2 = 0; insert into sales.customers(name) values ('after backup')");
        var changed = PgTestDatabase.Fingerprint(Db.Name);

        var result = Pg($"Restore-Postgres -Database $db {Conn} -Repository $repo -KeyFile $key -Confirm:$false").AssertNoErrors().Single<DatabaseRestoreResult>();
        Assert.True(result.ReplacedExistingDatabase);
        Assert.Equal(record.Id, result.RestoredId);
        Assert.NotNull(result.SafetyBackupId);
        Assert.Equal(before, PgTestDatabase.Fingerprint(Db.Name));

        // The safety backup holds the replaced state.
        var copy = Db.Name + "_safety";
        try
        {
            Pg($"Restore-Postgres -Id $id -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("id", result.SafetyBackupId), ("copy", copy)).AssertNoErrors();
            Assert.Equal(changed, PgTestDatabase.Fingerprint(copy));
        }
        finally
        {
            PgTestDatabase.Drop(copy);
        }
        Assert.Equal(0L, PgTestDatabase.Scalar("postgres", "select count(*) from pg_database where datname like '%__bt_%'"));
    }

    [Fact]
    public void Open_connections_block_the_swap_unless_Force()
    {
        InitRepoWithKey(createCell: false);
        BackupDb();
        using var user = new Npgsql.NpgsqlConnection(Server.ConnectionString(Db.Name));
        user.Open();
        Pg($"Restore-Postgres -Database $db {Conn} -Repository $repo -KeyFile $key -Confirm:$false").AssertError("PostgresDatabaseInUse");
        Pg($"Restore-Postgres -Database $db {Conn} -Repository $repo -KeyFile $key -Confirm:$false -Force").AssertNoErrors();
    }

    [Fact]
    public void WhatIf_restores_nothing()
    {
        InitRepoWithKey(createCell: false);
        BackupDb();
        Db.Execute("insert into sales.customers(name) values ('keep me')");
        var before = PgTestDatabase.Fingerprint(Db.Name);
        Assert.Empty(Pg($"Restore-Postgres -Database $db {Conn} -Repository $repo -KeyFile $key -WhatIf").AssertNoErrors().Output);
        Assert.Equal(before, PgTestDatabase.Fingerprint(Db.Name));
        Assert.Single(Run("Get-Backup -Repository $repo").Output);
    }

    [Fact]
    public void Globals_and_several_databases_come_back_as_one_record_each_in_one_set()
    {
        InitRepoWithKey(createCell: false);
        using var second = new PgTestDatabase(seed: false);
        var records = Pg($"Backup-Postgres -Database $db, $second {Conn} -Repository $repo -KeyFile $key -IncludeGlobals", ("second", second.Name))
            .AssertNoErrors().Objects<BackupRecord>().ToList();
        Assert.Equal(3, records.Count);
        Assert.Single(records, r => r.Engine == "postgres-globals");
        Assert.Single(records.Select(r => r.Tags["set"]).Distinct());
        var checks = Run("Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $key").AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.All(checks, c => Assert.True(c.Passed, string.Join("; ", c.Checks)));
    }

    [Fact]
    public void Schema_only_and_table_filters_are_honoured()
    {
        InitRepoWithKey(createCell: false);
        var record = Pg($"Backup-Postgres -Database $db {Conn} -Repository $repo -KeyFile $key -Table sales.customers").AssertNoErrors().Single<BackupRecord>();
        var copy = Db.Name + "_filtered";
        try
        {
            Pg($"Restore-Postgres -Id $id -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("id", record.Id), ("copy", copy)).AssertNoErrors();
            Assert.Equal(2000L, PgTestDatabase.Scalar(copy, "select count(*) from sales.customers"));
            Assert.Equal(0L, PgTestDatabase.Scalar(copy, "select count(*) from pg_tables where tablename = 'invoices'"));
        }
        finally
        {
            PgTestDatabase.Drop(copy);
        }
    }
}
