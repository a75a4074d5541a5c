using System.Diagnostics;
using BackupTools.Core.Engines;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Operations;
using BackupTools.Tests.MySql;
using BackupTools.Tests.Postgres;

namespace BackupTools.Tests.Faults;

/// <summary>
/// Issue 14 item 6: what a SIGKILLed restore leaves — its staging database and the passfile with the password —
/// is cleaned by a later run, and the password never sat on a persistent disk.
/// </summary>
public sealed class LeftoverFaultTests : PostgresTestBase
{
    private static int DeadPid()
    {
        using var gone = Process.Start("true")!;
        gone.WaitForExit();
        return gone.Id;
    }

    private static long Count(string like) =>
        (long)PgTestDatabase.Scalar("postgres", $"select count(*) from pg_database where datname like '{like}'")!;

    [Fact]
    public void A_restore_killed_while_loading_staging_leaves_a_database_and_passfile_that_the_next_restore_removes()
    {
        InitRepoWithKey(createCell: false);
        Db.Execute("create table big as select g, md5(g::text) m, repeat('x', 200) pad from generate_series(1, 400000) g");
        var record = BackupDb();
        var copy = Db.Name + "_copy";
        var legacyFolder = Path.Combine(Path.GetTempPath(), "backuptools-" + Environment.UserName);
        var legacyBefore = Directory.Exists(legacyFolder) ? Directory.GetFiles(legacyFolder).ToHashSet() : [];

        using var restore = new BtProcess(
            $"$c = [pscredential]::new('{Server.User}', [System.Net.NetworkCredential]::new('', $env:BT_FAULT_PW).SecurePassword); " +
            $"Restore-Postgres -Id '{record.Id}' -TargetDatabase '{copy}' -Server '{Server.Host}' -Port {Server.Port} -Credential $c " +
            $"-Repository '{Repo}' -KeyFile '{KeyPath}' -Confirm:$false",
            new Dictionary<string, string> { ["BT_FAULT_PW"] = Server.Password });
        var staging = $"{copy}%\\_\\_bt\\_restore\\_%";
        var clock = Stopwatch.StartNew();
        while (Count(staging) == 0 && !restore.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(50);
        Assert.True(Count(staging) == 1, "the restore never created its staging database: " + restore.Wait(TimeSpan.FromSeconds(1)));
        // Killed as soon as its staging database exists: waiting longer let a fast machine finish the load and swap.
        var secretFolders = Directory.GetDirectories(SecretFolders.Base, $"backuptools-{Environment.UserName}-{OwnerProcess.HostTag}-{restore.Pid}-*");
        restore.Kill();

        // The crash left them...
        Assert.Equal(1, Count(staging));
        var passfile = Assert.Single(Assert.Single(secretFolders) is var folder ? Directory.GetFiles(folder, "*.pgpass") : []);
        Assert.True(IsMemoryBacked(passfile), $"{passfile} is on a persistent disk");
        var legacyAfter = Directory.Exists(legacyFolder) ? Directory.GetFiles(legacyFolder).Where(f => !legacyBefore.Contains(f)).ToList() : [];
        Assert.Empty(legacyAfter);

        // ...and the next restore on this host removes them.
        Pg($"Restore-Postgres -Id $id -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("id", record.Id), ("copy", copy)).AssertNoErrors();
        Assert.Equal(0, Count(staging));
        Assert.False(Directory.Exists(secretFolders[0]), "the dead restore's passfile folder is still there");
        PgTestDatabase.Execute("postgres", $"drop database if exists \"{copy}\" with (force)");
    }

    [Fact]
    public void A_later_restore_drops_staging_and_test_copies_of_dead_processes_only_and_reports_old_ones()
    {
        InitRepoWithKey(createCell: false);
        Db.Execute("create table t(id int primary key); insert into t select generate_series(1, 10)");
        var record = BackupDb();
        var dead = DeadPid();
        var tag = OwnerProcess.HostTag;
        var deadStaging = $"{Db.Name}__bt_restore_{tag}_{dead}_ab12";
        var deadTest = $"{Db.Name}__bt_test_{tag}_{dead}_cd34";
        var liveStaging = $"{Db.Name}__bt_restore_{tag}_{Environment.ProcessId}_ef56";
        var foreign = $"{Db.Name}__bt_restore_0a0b0c_{dead}_ab12";
        var deadOld = $"{Db.Name}__bt_old_{tag}_{dead}_0123";
        var all = new[] { deadStaging, deadTest, liveStaging, foreign, deadOld };
        foreach (var name in all) PgTestDatabase.Execute("postgres", $"create database \"{name}\"");
        try
        {
            var copy = Db.Name + "_copy";
            var result = Pg($"Restore-Postgres -Id $id -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("id", record.Id), ("copy", copy)).AssertNoErrors();
            PgTestDatabase.Execute("postgres", $"drop database if exists \"{copy}\"");

            var left = all.Where(n => Count(n) == 1).ToList();
            Assert.Equal(new[] { liveStaging, foreign, deadOld }, left);
            Assert.Contains(result.Warnings, w => w.Contains(deadOld) && w.Contains("rename it back or drop it"));
        }
        finally
        {
            foreach (var name in all) PgTestDatabase.Execute("postgres", $"drop database if exists \"{name}\"");
        }
    }

    private static bool IsMemoryBacked(string path)
    {
        // The longest mount point that contains the path decides its file system.
        var mounts = File.ReadAllLines("/proc/mounts").Select(l => l.Split(' ')).Where(f => f.Length > 2)
            .Where(f => path.StartsWith(f[1].TrimEnd('/') + "/", StringComparison.Ordinal)).OrderByDescending(f => f[1].Length);
        return mounts.FirstOrDefault()?[2] is "tmpfs" or "ramfs";
    }
}

/// <summary>Issue 14 item 6 on MariaDB: a later Restore-MySql drops a dead restore's staging database, never an old one.</summary>
public sealed class MySqlLeftoverFaultTests() : MySqlRestoreTestBase(new MySqlTestDatabase(seed: false))
{
    [Fact]
    public void A_later_restore_drops_staging_of_dead_processes_only_and_reports_old_ones()
    {
        InitRepoWithKey(createCell: false);
        Db.Execute("create table t(id int primary key); insert into t values (1), (2), (3);");
        var record = Backup();
        using var gone = Process.Start("true")!;
        gone.WaitForExit();
        var tag = OwnerProcess.HostTag;
        var deadStaging = $"{Db.Name}__bt_restore_{tag}_{gone.Id}_ab12";
        var liveStaging = $"{Db.Name}__bt_restore_{tag}_{Environment.ProcessId}_ef56";
        var deadOld = $"{Db.Name}__bt_old_{tag}_{gone.Id}_0123";
        var copy = Db.Name + "_copy";
        ExtraDatabases.AddRange([deadStaging, liveStaging, deadOld, copy]);
        foreach (var name in new[] { deadStaging, liveStaging, deadOld }) MySqlTestDatabase.Execute(null, $"create database `{name}`");

        var result = My($"Restore-MySql -Id $id -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("id", record.Id), ("copy", copy)).AssertNoErrors();

        Assert.Equal(new[] { deadOld, liveStaging }.Order(), Leftovers(Db.Name).Order());
        Assert.Contains(result.Warnings, w => w.Contains(deadOld));
    }
}

/// <summary>The names themselves, and where secrets go.</summary>
public sealed class LeftoverNameTests
{
    [Fact]
    public void Throwaway_names_carry_host_and_pid_and_fit_63_characters()
    {
        var name = ThrowawayDatabase.Name("restore", new string('d', 80));
        Assert.Equal(63, name.Length);
        Assert.EndsWith($"__bt_restore_{OwnerProcess.HostTag}_{Environment.ProcessId}_" + name[^4..], name);
        Assert.Empty(ThrowawayDatabase.LeftByDeadProcesses([name, "shop__bt_restore_ab12cd"], ThrowawayDatabase.Disposable));
    }

    [Fact]
    public void Secret_files_go_to_memory_when_there_is_such_a_place_and_dead_processes_folders_are_swept()
    {
        using var gone = Process.Start("true")!;
        gone.WaitForExit();
        var orphan = Path.Combine(SecretFolders.Base, $"backuptools-{Environment.UserName}-{OwnerProcess.HostTag}-{gone.Id}-AbC123");
        Directory.CreateDirectory(orphan);
        File.WriteAllText(Path.Combine(orphan, "x.pgpass"), "*:*:*:*:secret");
        using var file = new PrivateTempFile("*:*:*:*:secret\n", ".pgpass");
        Assert.StartsWith(SecretFolders.Base, file.FilePath);
        if (Directory.Exists("/dev/shm")) Assert.DoesNotContain(Path.GetTempPath(), file.FilePath);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file.FilePath)!));
        Assert.False(Directory.Exists(orphan));
    }

    [Fact]
    public void A_process_that_exits_normally_leaves_no_secret_folder()
    {
        using var child = new BtProcess(BtProcess.CoreTypeFunction + "$f = (CoreType BackupTools.Core.Engines.External.PrivateTempFile)::new('secret', '.tmp'); $f.FilePath; $f.Dispose()");
        var outcome = child.Wait(TimeSpan.FromSeconds(60));
        Assert.True(outcome is { Code: 0 }, outcome?.Err);
        var path = outcome!.Value.Out.Trim();
        Assert.StartsWith(SecretFolders.Base, path);
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)), $"{Path.GetDirectoryName(path)} is still there");
    }
}
