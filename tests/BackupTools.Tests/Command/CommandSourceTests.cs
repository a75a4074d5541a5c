using System.Management.Automation;
using BackupTools.Core.Engines.Command;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Postgres;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Command;

/// <summary>Backup-CommandOutput / Restore-CommandOutput with real dump tools: pg_dump/pg_restore against the test server, sqlite3.</summary>
[Collection("servers")]
public sealed class CommandSourceTests : CellTestBase
{
    private static PostgresServer Server => TestServers.Postgres;

    private static Dictionary<string, object?> PgEnvironment() => new()
    {
        ["PGHOST"] = Server.Host,
        ["PGPORT"] = Server.Port,
        ["PGUSER"] = Server.User,
        ["PGPASSWORD"] = new PSCredential("x", new System.Net.NetworkCredential("", Server.Password).SecurePassword),
    };

    private static System.Collections.Hashtable Table(Dictionary<string, object?> values) => new(values);

    [Fact]
    public void Pg_dump_output_round_trips_into_another_database_with_the_password_only_in_the_environment()
    {
        InitRepoWithKey(createCell: false);
        using var source = new PgTestDatabase();
        using var copy = new PgTestDatabase(seed: false);
        var record = Run("Backup-CommandOutput -Cell crm-pg -Command \"pg_dump -Fc $db\" -VerifyCommand 'pg_restore --list > /dev/null' -Environment $envs -Repository $repo -KeyFile $key",
            ("db", source.Name), ("envs", Table(PgEnvironment()))).AssertNoErrors().Single<BackupRecord>();
        Assert.Equal("command", record.Engine);
        Assert.Equal("crm-pg", record.Cell);
        Assert.Equal(true, record.EngineInfo["verified"]);
        Assert.Equal(new object[] { "PGHOST", "PGPASSWORD", "PGPORT", "PGUSER" }, (object?[])record.EngineInfo["environmentNames"]!);
        Assert.True((long)record.EngineInfo["outputBytes"]! > 100_000);
        Assert.All(Directory.EnumerateFiles(Repo, "*", SearchOption.AllDirectories), f => Assert.DoesNotContain(Server.Password, File.ReadAllText(f)));

        var integrity = Run("Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $key").AssertNoErrors().Single<IntegrityResult>();
        Assert.True(integrity.Passed, string.Join("; ", integrity.Checks));

        var restored = Run("Restore-CommandOutput -Id $id -Repository $repo -KeyFile $key -Command \"pg_restore --no-owner -d $db\" -Environment $envs -Confirm:$false",
            ("id", record.Id), ("db", copy.Name), ("envs", Table(PgEnvironment()))).AssertNoErrors().Single<CommandRestoreResult>();
        Assert.Equal((long)record.EngineInfo["outputBytes"]!, restored.Bytes);
        Assert.Equal(PgTestDatabase.Fingerprint(source.Name), PgTestDatabase.Fingerprint(copy.Name));
    }

    [Fact]
    public void Sqlite_dump_round_trips_and_hooks_run_in_order_around_the_command()
    {
        InitRepoWithKey(createCell: false);
        var db = Temp.Sub("app.db");
        var log = Temp.Sub("hooks.log");
        Sqlite(db, "create table t(id integer primary key, name text); insert into t(name) select 'row ' || value from generate_series(1, 5000); insert into t(name) values ('ünïcødé ✓');");
        var record = Run("Backup-CommandOutput -Cell app -Command 'echo dump >> \"$LOG\"; sqlite3 \"$DB\" .dump' -VerifyCommand 'sqlite3 :memory: && echo verify >> \"$LOG\"' " +
            "-QuiesceCommand 'echo quiesce >> \"$LOG\"' -ResumeCommand 'echo resume >> \"$LOG\"' -Environment @{ DB = $db; LOG = $log } -Repository $repo -KeyFile $key",
            ("db", db), ("log", log)).AssertNoErrors().Single<BackupRecord>();
        Assert.Equal(["quiesce", "dump", "verify", "resume"], File.ReadAllLines(log));

        var copy = Temp.Sub("copy.db");
        Run("Restore-CommandOutput -Id $id -Repository $repo -KeyFile $key -Command 'sqlite3 \"$DB\"' -Environment @{ DB = $copy } -Confirm:$false",
            ("id", record.Id), ("copy", copy)).AssertNoErrors();
        Assert.Equal(Sqlite(db, "select count(*), group_concat(name) from t"), Sqlite(copy, "select count(*), group_concat(name) from t"));
        Assert.Contains("ünïcødé ✓", Sqlite(copy, "select name from t where id = 5001"));
    }

    [Fact]
    public void A_command_that_fails_half_way_records_no_backup_and_still_resumes()
    {
        InitRepoWithKey(createCell: false);
        var log = Temp.Sub("hooks.log");
        var result = Run("Backup-CommandOutput -Cell app -Command 'head -c 3000000 /dev/urandom; echo broken pipe to server >&2; exit 3' -QuiesceCommand 'echo quiesce >> \"$LOG\"' -ResumeCommand 'echo resume >> \"$LOG\"' -Environment @{ LOG = $log } -Repository $repo -KeyFile $key",
            ("log", log));
        var error = result.AssertError("CommandBackupFailed");
        Assert.Contains("exit code 3", error.Exception.Message);
        Assert.Contains("broken pipe to server", error.Exception.Message);
        Assert.Contains("3000000 bytes", error.Exception.Message);
        Assert.Equal(["quiesce", "resume"], File.ReadAllLines(log));
        Assert.Empty(Run("Get-Backup -Repository $repo").AssertNoErrors().Objects<BackupRecord>());
        var backups = Path.Combine(Repo, "backups");
        Assert.False(Directory.Exists(backups) && Directory.EnumerateFiles(backups, "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public void A_verify_command_that_rejects_the_stream_fails_the_backup_and_records_nothing()
    {
        InitRepoWithKey(createCell: false);
        var db = Temp.Sub("app.db");
        Sqlite(db, "create table t(x); insert into t values (1);");
        // The verify command really reads the stream: a valid dump passes, the same bytes with a torn statement do not.
        Run("Backup-CommandOutput -Cell app -Command 'sqlite3 \"$DB\" .dump' -VerifyCommand 'sqlite3 -bail :memory:' -Environment @{ DB = $db } -Repository $repo -KeyFile $key", ("db", db))
            .AssertNoErrors();
        var result = Run("Backup-CommandOutput -Cell app -Command 'sqlite3 \"$DB\" .dump; echo \"insert into t values (\"' -VerifyCommand 'sqlite3 -bail :memory:' -Environment @{ DB = $db } -Repository $repo -KeyFile $key", ("db", db));
        var error = result.AssertError("CommandVerifyFailed");
        Assert.Contains("rejected", error.Exception.Message);
        Assert.Single(Run("Get-Backup -Repository $repo").AssertNoErrors().Objects<BackupRecord>());
    }

    [Fact]
    public void Empty_output_and_a_failing_quiesce_record_nothing()
    {
        InitRepoWithKey(createCell: false);
        Run("Backup-CommandOutput -Cell app -Command 'true' -Repository $repo -KeyFile $key").AssertError("CommandBackupEmpty");
        var marker = Temp.Sub("ran");
        Run("Backup-CommandOutput -Cell app -Command 'touch \"$M\"; echo data' -QuiesceCommand 'exit 4' -Environment @{ M = $m } -Repository $repo -KeyFile $key", ("m", marker))
            .AssertError("CommandQuiesceFailed");
        Assert.False(File.Exists(marker));
        Assert.Empty(Run("Get-Backup -Repository $repo").AssertNoErrors().Objects<BackupRecord>());
    }

    [Fact]
    public void A_restore_command_that_fails_is_reported_with_its_stderr()
    {
        InitRepoWithKey(createCell: false);
        var record = Run("Backup-CommandOutput -Cell app -Command 'seq 1 100000' -Repository $repo -KeyFile $key").AssertNoErrors().Single<BackupRecord>();
        var error = Run("Restore-CommandOutput -Id $id -Repository $repo -KeyFile $key -Command 'cat > /dev/null; echo target refused >&2; exit 5' -Confirm:$false", ("id", record.Id))
            .AssertError("CommandRestoreFailed");
        Assert.Contains("target refused", error.Exception.Message);
        Run("Restore-CommandOutput -Id $id -Repository $repo -KeyFile $key -Command 'head -c 10 >/dev/null' -Confirm:$false", ("id", record.Id))
            .AssertError("CommandRestoreIncomplete");
    }

    private static string Sqlite(string db, string sql)
    {
        var start = new System.Diagnostics.ProcessStartInfo("sqlite3", [db, sql]) { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }
}
