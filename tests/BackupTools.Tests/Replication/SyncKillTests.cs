using System.Diagnostics;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Replication;

/// <summary>
/// A sync process killed (SIGKILL) in the middle of copying a large object, as a crash or an OOM kill would:
/// it leaves a half-written temp object and its writer lease behind. The next run must take the dead
/// writer's lease over, sweep the debris and complete the copy; nothing partial may ever be listed.
/// </summary>
[Collection("lease-duration")] // relies on the lease rules; WriterLockTests change the lease duration
public sealed class SyncKillTests : ReplicationTestBase
{
    private const int BigFileBytes = 128 << 20; // large enough that the copy is still running when we look

    [Fact]
    public void A_killed_sync_leaves_nothing_listed_and_the_next_run_completes_the_copy()
    {
        InitRepoWithKey(createCell: false);
        InitTarget();
        Directory.CreateDirectory(Cell);
        WriteRandomFile(Path.Combine(Cell, "big.bin"), BigFileBytes);
        var full = Backup();
        File.WriteAllText(Path.Combine(Cell, "small.txt"), "after the full\n");
        var inc = Change("Incremental");
        var snapshot = Snapshot();

        KillSyncMidObject();

        Assert.Empty(IdsIn(Target));
        Assert.False(File.Exists(Path.Combine(TargetFolder(full.Id), "manifest.json")));
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(Target, "tmp"), "*.part")); // the killed writer's half object
        Assert.Single(Directory.EnumerateFiles(Path.Combine(Target, "locks", "shared")));   // and its lease

        var resumed = RunT("Sync-BackupRepository -Source $repo -Destination $target").AssertNoErrors().Objects<SyncResult>().ToList();

        Assert.Equal(Ids(full, inc), resumed.Select(r => r.Id));
        Assert.All(resumed, r => Assert.Equal(SyncAction.Copied, r.Action));
        Assert.Equal(full.StoredBytes, resumed[0].Bytes);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Target, "tmp")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Target, "locks", "shared")));     // the dead writer's stale lease was removed too
        var checks = RunT("Get-Backup -Repository $target | Test-BackupIntegrity -KeyFile $key").AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(2, checks.Count(c => c.Passed));
        AssertRestoresFromTarget(inc, snapshot);
    }

    /// <summary>
    /// Into a format-2 repository the copy is re-chunked: killed once packs were committed, before the index file and
    /// the manifest. Nothing may be listed; the next run completes the copy, and it verifies and restores.
    /// </summary>
    [Fact]
    public void A_sync_into_v2_killed_after_packs_were_written_lists_nothing_and_the_next_run_completes_it()
    {
        InitRepoWithKey(createCell: false);
        InitTarget("-Format v2");
        Directory.CreateDirectory(Cell);
        WriteRandomFile(Path.Combine(Cell, "big.bin"), 96 << 20);
        var full = Backup();
        var snapshot = Snapshot();

        KillSyncWhen($"Sync-BackupRepository -Source '{Repo}' -Destination '{Target}' -KeyFile '{KeyPath}'", () => Count(Path.Combine(Target, "data")) >= 2);

        Assert.Empty(IdsIn(Target));
        Assert.False(File.Exists(Path.Combine(TargetFolder(full.Id), "manifest.json")));
        Assert.Equal(0, Count(Path.Combine(Target, "index"))); // the killed copy had not sealed: no index names its packs

        var resumed = RunT("Sync-BackupRepository -Source $repo -Destination $target -KeyFile $key").AssertNoErrors().Objects<SyncResult>().Single();
        Assert.Equal(SyncAction.Copied, resumed.Action);
        var check = RunT("Get-Backup -Repository $target | Test-BackupIntegrity -KeyFile $key").AssertNoErrors().Single<IntegrityResult>();
        Assert.True(check.Passed, string.Join("; ", check.Checks));
        AssertRestoresFromTarget(full, snapshot);
    }

    private static int Count(string folder)
    {
        try
        {
            return Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Count() : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Runs the sync in the runner (a separate process) and kills it once a temp object at the target passed 8 MiB.</summary>
    private void KillSyncMidObject() =>
        KillSyncWhen($"Sync-BackupRepository -Source '{Repo}' -Destination '{Target}'", () => MidObject(Path.Combine(Target, "tmp")));

    private void KillSyncWhen(string command, Func<bool> interrupt)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "bin", "runner", "btrun.dll"));
        psi.ArgumentList.Add("-Command");
        psi.ArgumentList.Add(command);
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var deadline = Stopwatch.StartNew();
        while (!interrupt())
        {
            if (process.HasExited) Assert.Fail($"the sync ended before it could be interrupted: {stdout.Result} {stderr.Result}");
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(120), "the sync never started copying");
            Thread.Sleep(2);
        }
        process.Kill(entireProcessTree: true);
        Assert.True(process.WaitForExit(30_000));
    }

    private static bool MidObject(string tmp)
    {
        try
        {
            return Directory.Exists(tmp) && Directory.EnumerateFiles(tmp, "*.part").Any(f => new FileInfo(f).Length > (8 << 20));
        }
        catch (IOException) // a part renamed away while we looked
        {
            return false;
        }
    }

    private static void WriteRandomFile(string path, int bytes)
    {
        var random = new Random(7);
        var block = new byte[1 << 20];
        using var file = File.Create(path);
        for (var written = 0; written < bytes; written += block.Length)
        {
            random.NextBytes(block);
            file.Write(block);
        }
    }
}
