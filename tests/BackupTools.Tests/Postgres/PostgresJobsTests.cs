using System.Diagnostics;
using System.Management.Automation;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Postgres;

/// <summary>
/// -Jobs: parallel directory-format dumps carried as a tar, parallel restores from a scratch copy. The scratch
/// location is pointed at a folder of the test's own (BACKUPTOOLS_TEMP) so every test can prove it is left empty.
/// </summary>
public sealed class PostgresJobsTests : PostgresTestBase
{
    private readonly string _scratch;
    private readonly string? _previousScratch = Environment.GetEnvironmentVariable("BACKUPTOOLS_TEMP");

    public PostgresJobsTests()
    {
        _scratch = Temp.Sub("scratch");
        Directory.CreateDirectory(_scratch);
        Environment.SetEnvironmentVariable("BACKUPTOOLS_TEMP", _scratch);
    }

    private void AssertScratchEmpty() => Assert.Empty(Directory.GetFileSystemEntries(_scratch));

    /// <summary>Names of the scratch folders that appeared while the action ran (a parallel restore works from one).</summary>
    private HashSet<string> ScratchFoldersSeenDuring(Action action)
    {
        var seen = new HashSet<string>();
        using var done = new CancellationTokenSource();
        var watcher = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                foreach (var folder in Directory.GetDirectories(_scratch)) lock (seen) seen.Add(Path.GetFileName(folder)[..^33]);
                Thread.Sleep(5);
            }
        });
        try { action(); }
        finally { done.Cancel(); watcher.Wait(); }
        return seen;
    }

    [Fact]
    public void Parallel_backup_is_a_directory_tar_that_verifies_and_restores_in_parallel_to_an_identical_database()
    {
        InitRepoWithKey(createCell: false);
        var backup = Pg($"Backup-Postgres -Database $db {Conn} -Repository $repo -KeyFile $key -Jobs 2").AssertNoErrors();
        var record = backup.Single<BackupRecord>();
        Assert.Equal("directory-tar", record.EngineInfo["format"]);
        Assert.Equal(2L, Convert.ToInt64(record.EngineInfo["jobs"]));
        Assert.Contains(backup.Warnings, w => w.Contains("-Jobs 2") && w.Contains(_scratch));
        AssertScratchEmpty();

        var integrity = Pg($"Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key -RestoreTest {Conn}", ("id", record.Id))
            .AssertNoErrors().Single<IntegrityResult>();
        Assert.True(integrity.Passed, string.Join("; ", integrity.Checks));
        Assert.Contains(integrity.Checks, c => c.Name == "data:pg_restore-list" && c.Passed && c.Detail.Contains("table data files present"));
        Assert.Contains(integrity.Checks, c => c.Name == "restore-test" && c.Passed && c.Detail.Contains("row counts match"));
        AssertScratchEmpty();

        var copy = Db.Name + "_jobs";
        try
        {
            var result = Pg($"Restore-Postgres -Id $id -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Jobs 2 -Confirm:$false", ("id", record.Id), ("copy", copy))
                .AssertNoErrors().Single<DatabaseRestoreResult>();
            Assert.Equal(record.Id, result.RestoredId);
            Assert.Equal(PgTestDatabase.Fingerprint(Db.Name), PgTestDatabase.Fingerprint(copy));
        }
        finally
        {
            PgTestDatabase.Drop(copy);
        }
        AssertScratchEmpty();
    }

    [Fact]
    public void Parallel_restore_of_a_custom_format_backup_replaces_the_live_database_with_its_contents()
    {
        InitRepoWithKey(createCell: false);
        var before = PgTestDatabase.Fingerprint(Db.Name);
        var record = BackupDb();
        Assert.Equal("custom", record.EngineInfo["format"]);
        Db.Execute("delete from sales.invoices where id % 3 = 0; insert into sales.customers(name) values ('after backup')");
        Assert.NotEqual(before, PgTestDatabase.Fingerprint(Db.Name));

        DatabaseRestoreResult? result = null;
        var seen = ScratchFoldersSeenDuring(() => result = Pg($"Restore-Postgres -Id $id {Conn} -Repository $repo -KeyFile $key -Jobs 2 -Confirm:$false", ("id", record.Id))
            .AssertNoErrors().Single<DatabaseRestoreResult>());
        Assert.Contains("backuptools-pgrestore", seen);
        Assert.NotNull(result);
        Assert.True(result!.ReplacedExistingDatabase);
        Assert.NotNull(result.SafetyBackupId);
        Assert.Equal(before, PgTestDatabase.Fingerprint(Db.Name));
        AssertScratchEmpty();
    }

    [Fact]
    public void A_damaged_directory_tar_fails_verification_and_restore_and_leaves_no_staging_database_or_scratch()
    {
        InitRepoWithKey(createCell: false);
        var record = Pg($"Backup-Postgres -Database $db {Conn} -Repository $repo -KeyFile $key -Jobs 2").AssertNoErrors().Single<BackupRecord>();
        var data = Path.Combine(Repo, "backups", record.Id, "data");
        using (var f = new FileStream(data, FileMode.Open)) { f.Position = f.Length / 2; var b = f.ReadByte(); f.Position--; f.WriteByte((byte)(b ^ 0xFF)); }

        var integrity = Pg($"Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", record.Id)).Single<IntegrityResult>();
        Assert.False(integrity.Passed);
        AssertScratchEmpty();
        var copy = Db.Name + "_bad";
        Pg($"Restore-Postgres -Id $id -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Jobs 2 -Confirm:$false", ("id", record.Id), ("copy", copy))
            .AssertError("EncryptedSegmentAuthenticationFailed");
        Assert.False(PgTestDatabase.Exists(copy));
        Assert.Equal(0L, PgTestDatabase.Scalar("postgres", $"select count(*) from pg_database where datname like '{Db.Name}%__bt_restore_%'"));
        AssertScratchEmpty();
    }

    [Fact]
    public void Jobs_out_of_range_is_rejected_naming_the_parameter()
    {
        foreach (var script in new[] { $"Backup-Postgres -Database $db {Conn} -Repository $repo -Jobs 0", $"Restore-Postgres -Database $db {Conn} -Repository $repo -Jobs 65 -Confirm:$false" })
        {
            var bad = Pg(script);
            var message = bad.Thrown?.Message ?? bad.Errors.FirstOrDefault()?.Exception.Message ?? "";
            Assert.Contains("Jobs", message);
        }
    }

    [Fact]
    public void Unusable_scratch_location_is_a_clear_error_that_records_nothing()
    {
        InitRepoWithKey(createCell: false);
        var record = BackupDb();
        var notAFolder = Temp.Sub("scratch-is-a-file");
        File.WriteAllText(notAFolder, "x");
        Environment.SetEnvironmentVariable("BACKUPTOOLS_TEMP", notAFolder);

        var backup = Pg($"Backup-Postgres -Database $db {Conn} -Repository $repo -KeyFile $key -Jobs 2");
        var error = backup.AssertError("TempSpaceFailed");
        Assert.Contains(notAFolder, error.Exception.Message);
        Assert.Contains("BACKUPTOOLS_TEMP", error.ErrorDetails?.RecommendedAction ?? "");
        Assert.Single(Run("Get-Backup -Repository $repo").Objects<BackupRecord>());

        var copy = Db.Name + "_nospace";
        Pg($"Restore-Postgres -Id $id -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Jobs 2 -Confirm:$false", ("id", record.Id), ("copy", copy))
            .AssertError("TempSpaceFailed");
        Assert.False(PgTestDatabase.Exists(copy));
    }

    [Fact]
    public void Stopping_a_parallel_dump_midway_records_nothing_and_leaves_no_scratch_folder()
    {
        InitRepoWithKey(createCell: false);
        Db.Execute("create table public.bulk as select g, md5(g::text) || md5((g * 7)::text) as payload from generate_series(1, 600000) g");
        using var background = new PsSession();
        background.Run("$null", new Dictionary<string, object?> { ["cred"] = new PSCredential(Server.User, new System.Net.NetworkCredential("", Server.Password).SecurePassword) });
        using var ps = background.Create($"Backup-Postgres -Database '{Db.Name}' -Server {Server.Host} -Port {Server.Port} -Credential $cred -Repository '{Repo}' -KeyFile '{KeyPath}' -Jobs 2 -Compression gzip -CompressionLevel 9");
        var async = ps.BeginInvoke();
        var clock = Stopwatch.StartNew();
        // Mid-way is either pg_dump writing into the scratch folder or the tar streaming into the repository.
        bool Dumping() => Files(_scratch, "*.dat").Concat(Files(Path.Combine(Repo, "tmp"), "*.part")).Any(f => Length(f) > 256 * 1024);
        while (!Dumping() && !async.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(20);
        Assert.True(Dumping(), "the dump never got going: " + ps.InvocationStateInfo.State);
        var folder = Assert.Single(Directory.GetDirectories(_scratch));
        Assert.StartsWith("backuptools-pgdump-", Path.GetFileName(folder));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        ps.Stop();
        Assert.Empty(Run("Get-Backup -Repository $repo").Output);
        Assert.Empty(Directory.GetFiles(Path.Combine(Repo, "tmp")));
        AssertScratchEmpty();
        Thread.Sleep(500);
        Assert.Equal(0L, PgTestDatabase.Scalar("postgres", $"select count(*) from pg_stat_activity where application_name = 'BackupTools' and datname = '{Db.Name}'"));
    }

    private static string[] Files(string folder, string pattern)
    {
        try { return Directory.GetFiles(folder, pattern, SearchOption.AllDirectories); }
        catch (IOException) { return []; } // a scratch folder vanishing under the scan
    }

    private static long Length(string file)
    {
        try { return new FileInfo(file).Length; }
        catch (IOException) { return 0; }
    }

    public override void Dispose()
    {
        Environment.SetEnvironmentVariable("BACKUPTOOLS_TEMP", _previousScratch);
        base.Dispose();
    }
}
