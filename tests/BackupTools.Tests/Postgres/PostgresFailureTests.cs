using BackupTools.Core.Repository;
using System.Diagnostics;
using System.Management.Automation;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Postgres;

public sealed class PostgresFailureTests : PostgresTestBase
{
    [Fact]
    public void Wrong_password_is_a_clear_error_that_never_shows_the_password_and_records_nothing()
    {
        InitRepoWithKey(createCell: false);
        var wrong = new PSCredential(Server.User, new System.Net.NetworkCredential("", "Sup3r-Secret-Wrong").SecurePassword);
        var error = Pg("Backup-Postgres -Database $db -Server $pgServer -Port $pgPort -Credential $bad -Repository $repo -KeyFile $key", ("bad", wrong))
            .AssertError("PostgresAuthenticationFailed");
        Assert.DoesNotContain("Sup3r-Secret-Wrong", error.ToString());
        Assert.DoesNotContain("Sup3r-Secret-Wrong", error.Exception.ToString());
        Assert.Empty(Run("Get-Backup -Repository $repo").Output);
    }

    [Fact]
    public void Unknown_database_and_unreachable_server_and_missing_pg_dump_fail_before_any_work()
    {
        InitRepoWithKey(createCell: false);
        Pg($"Backup-Postgres -Database no_such_db_here {Conn} -Repository $repo -KeyFile $key").AssertError("PostgresDatabaseNotFound");
        Pg("Backup-Postgres -Database $db -Server 127.0.0.1 -Port 1 -Credential $cred -Repository $repo -KeyFile $key").AssertError("PostgresUnreachable");
        Pg($"Backup-Postgres -Database $db {Conn} -Repository $repo -KeyFile $key -ToolPath $t", ("t", Temp.Path)).AssertError("PgDumpNotFound");
        Assert.Empty(Run("Get-Backup -Repository $repo").Output);
    }

    [Fact]
    public void Password_never_reaches_manifests()
    {
        InitRepoWithKey(createCell: false);
        BackupDb();
        foreach (var manifest in Directory.EnumerateFiles(Repo, "manifest.json", SearchOption.AllDirectories))
            Assert.DoesNotContain(Server.Password, File.ReadAllText(manifest));
    }

    [Fact]
    public void Corrupted_object_fails_the_restore_and_leaves_the_live_database_untouched()
    {
        InitRepoWithKey(createCell: false);
        var record = BackupDb();
        Db.Execute("insert into sales.customers(name) values ('live change')");
        var live = PgTestDatabase.Fingerprint(Db.Name);
        var data = Path.Combine(Repo, "backups", record.Id, "data");
        using (var f = new FileStream(data, FileMode.Open)) { f.Position = f.Length / 2; var b = f.ReadByte(); f.Position--; f.WriteByte((byte)(b ^ 0xFF)); }
        Pg($"Restore-Postgres -Database $db {Conn} -Repository $repo -KeyFile $key -Confirm:$false").AssertError("EncryptedSegmentAuthenticationFailed");
        Assert.Equal(live, PgTestDatabase.Fingerprint(Db.Name));
        Assert.Equal(0L, PgTestDatabase.Scalar("postgres", "select count(*) from pg_database where datname like '%__bt_restore_%'"));
    }

    [Fact]
    public void Stopping_a_dump_midway_records_nothing()
    {
        InitRepoWithKey(createCell: false);
        Db.Execute("create table public.bulk as select g, md5(g::text) || md5((g * 7)::text) as payload from generate_series(1, 1500000) g");
        using var background = new PsSession();
        background.Run("$null", new Dictionary<string, object?> { ["cred"] = new PSCredential(Server.User, new System.Net.NetworkCredential("", Server.Password).SecurePassword) });
        using var ps = background.Create($"Backup-Postgres -Database '{Db.Name}' -Server {Server.Host} -Port {Server.Port} -Credential $cred -Repository '{Repo}' -KeyFile '{KeyPath}' -Compression gzip -CompressionLevel 9");
        var async = ps.BeginInvoke();
        var clock = Stopwatch.StartNew();
        bool Writing() => Directory.Exists(Path.Combine(Repo, "tmp")) && Directory.GetFiles(Path.Combine(Repo, "tmp"), "*.part").Any(f => new FileInfo(f).Length > 256 * 1024);
        while (!Writing() && !async.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(50);
        Assert.True(Writing(), "the dump never started streaming: " + ps.InvocationStateInfo.State);
        ps.Stop();
        Assert.Empty(Run("Get-Backup -Repository $repo").Output);
        Assert.Empty(Directory.GetFiles(Path.Combine(Repo, "tmp")));
        Thread.Sleep(500);
        Assert.Equal(0L, PgTestDatabase.Scalar("postgres", $"select count(*) from pg_stat_activity where application_name = 'BackupTools' and datname = '{Db.Name}'"));
    }
}

[Collection("environment")]
public sealed class PostgresEnvironmentTests : PostgresTestBase
{
    [Fact]
    public void Credentials_come_from_PG_environment_and_a_pgpass_file_when_not_given()
    {
        InitRepoWithKey(createCell: false);
        var passfile = Temp.Sub("pgpass");
        File.WriteAllText(passfile, $"{Server.Host}:{Server.Port}:*:{Server.User}:{Server.Password.Replace(":", "\\:")}\n");
        File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var saved = new[] { "PGPASSFILE", "PGUSER", "PGHOST", "PGPORT", "PGPASSWORD" }.ToDictionary(n => n, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable("PGPASSFILE", passfile);
            Environment.SetEnvironmentVariable("PGUSER", Server.User);
            Environment.SetEnvironmentVariable("PGHOST", Server.Host);
            Environment.SetEnvironmentVariable("PGPORT", Server.Port.ToString());
            Environment.SetEnvironmentVariable("PGPASSWORD", null);
            var record = Pg("Backup-Postgres -Database $db -Repository $repo -KeyFile $key -SchemaOnly").AssertNoErrors().Single<BackupRecord>();
            Assert.Equal(true, record.EngineInfo["schemaOnly"]);

            Environment.SetEnvironmentVariable("PGPASSFILE", Temp.Sub("missing-pgpass"));
            Environment.SetEnvironmentVariable("PGPASSWORD", Server.Password);
            Pg("Backup-Postgres -Database $db -Repository $repo -KeyFile $key").AssertNoErrors();
        }
        finally
        {
            foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
        }
    }
}

public sealed class PostgresTargetTests
{
    [Fact]
    public void Printing_a_target_or_a_request_never_shows_the_password()
    {
        var target = BackupTools.Core.Engines.Postgres.PostgresTarget.From(null, "db1", 5432, "backup", "Pa55-w0rd!");
        var request = new BackupTools.Core.Engines.Postgres.PostgresBackupRequest(new BackupTools.Core.Repository.RepositoryReference("/r"), target, ["crm"], false, false, false, [], [], null, null, null, null, TimeSpan.Zero);
        Assert.DoesNotContain("Pa55-w0rd!", target.ToString());
        Assert.DoesNotContain("Pa55-w0rd!", request.ToString());
    }
}
