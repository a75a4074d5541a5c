using System.Diagnostics;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Cells;

public sealed class CellConcurrencyTests : CellTestBase
{
    private void CreateBigCell(int megabytes)
    {
        Directory.CreateDirectory(Cell);
        var random = new Random(7);
        var buffer = new byte[1024 * 1024];
        for (var i = 0; i < megabytes / 8; i++)
        {
            using var f = File.Create(Path.Combine(Cell, $"chunk-{i:D3}.bin"));
            for (var j = 0; j < 8; j++) { random.NextBytes(buffer); f.Write(buffer); }
        }
    }

    /// <summary>A data object is being streamed: a temp part of more than a MiB exists.</summary>
    private bool AnyPartialObject() =>
        Directory.Exists(Path.Combine(Repo, "tmp")) && Directory.GetFiles(Path.Combine(Repo, "tmp"), "*.part").Any(f => new FileInfo(f).Length > 1 << 20);

    private bool AnyLeftover() => Directory.Exists(Path.Combine(Repo, "tmp")) && Directory.GetFiles(Path.Combine(Repo, "tmp")).Length > 0;

    [Fact]
    public void Second_writer_gets_a_clear_locked_error_naming_the_holder()
    {
        InitRepoWithKey();
        var repository = BackupRepository.Open(new LocalBackupStore(Repo));
        using (WriterLock.AcquireExclusive(repository, "test holder", TimeSpan.Zero))
        {
            var error = Run("Backup-Cell crm $cell -Repository $repo -KeyFile $key").AssertError("RepositoryLocked");
            Assert.Contains(Environment.MachineName, error.Exception.Message);
            Assert.Contains(Environment.ProcessId.ToString(), error.Exception.Message);
        }
        Assert.Empty(Run("Get-Backup -Repository $repo").AssertNoErrors().Output);
        Backup();
    }

    [Fact]
    public void Writer_waits_for_the_lock_when_given_a_timeout()
    {
        InitRepoWithKey();
        var repository = BackupRepository.Open(new LocalBackupStore(Repo));
        var held = WriterLock.AcquireExclusive(repository, "test holder", TimeSpan.Zero);
        _ = Task.Delay(1500).ContinueWith(_ => held.Dispose());
        Run("Backup-Cell crm $cell -Repository $repo -KeyFile $key -LockTimeoutSec 30").AssertNoErrors();
    }

    [Fact]
    public void Lease_of_a_dead_writer_expires_instead_of_blocking_forever()
    {
        InitRepoWithKey();
        var store = new LocalBackupStore(Repo);
        // A lease from another host whose heartbeat stopped long ago.
        var stale = $$"""{"leaseId":"dead","purpose":"Backup-Cell crm","host":"other-host","pid":1,"acquiredAt":"2020-01-01T00:00:00Z","heartbeatAt":"2020-01-01T00:00:00Z"}""";
        Assert.True(store.TryCreateExclusive(WriterLock.LockKey, System.Text.Encoding.UTF8.GetBytes(stale)));
        Backup();
        Assert.False(store.Exists(WriterLock.LockKey));
    }

    [Fact]
    public void Stopping_a_backup_mid_stream_lists_nothing_and_leaves_nothing()
    {
        InitRepoWithKey(createCell: false);
        CreateBigCell(400);
        using var background = new PsSession();
        using var runspacePs = background.Create($"Backup-Cell crm '{Cell}' -Repository '{Repo}' -KeyFile '{KeyPath}' -Compression gzip -CompressionLevel 9");
        var async = runspacePs.BeginInvoke();
        var clock = Stopwatch.StartNew();
        while (!AnyPartialObject() && clock.Elapsed < TimeSpan.FromSeconds(60) && !async.IsCompleted) Thread.Sleep(100);
        // (Don't enumerate runspacePs.Streams here: that blocks until the pipeline ends.)
        Assert.True(AnyPartialObject(), "the backup never started writing: " + runspacePs.InvocationStateInfo.State);
        var stopAt = clock.Elapsed;
        runspacePs.Stop();
        var stoppedAt = clock.Elapsed;
        Assert.True(Run("Get-Backup -Repository $repo").AssertNoErrors().Output.Count == 0, $"stop at {stopAt}, stopped at {stoppedAt}, state {runspacePs.InvocationStateInfo.State}");
        Assert.False(AnyLeftover(), "the interrupted object was left behind");
        Assert.False(Leases.AnyIn(Repo), "the lock was not released");
    }

    [Fact]
    public void Killed_backup_process_lists_nothing_and_the_next_backup_cleans_up()
    {
        InitRepoWithKey(createCell: false);
        CreateBigCell(400);
        var runner = Path.Combine(RepoPaths.Root, "bin", "runner", "btrun.dll");
        Assert.True(File.Exists(runner), "build the runner first (dotnet build BackupTools.sln)");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { runner, "-Command", $"Backup-Cell crm '{Cell}' -Repository '{Repo}' -KeyFile '{KeyPath}' -Compression gzip -CompressionLevel 9" }) psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        var clock = Stopwatch.StartNew();
        while (!AnyPartialObject() && clock.Elapsed < TimeSpan.FromSeconds(60) && !child.HasExited) Thread.Sleep(100);
        Assert.True(AnyPartialObject(), "the child backup never started writing: " + (child.HasExited ? child.StandardError.ReadToEnd() : ""));
        child.Kill(entireProcessTree: true);
        child.WaitForExit();

        Assert.Empty(Run("Get-Backup -Repository $repo").AssertNoErrors().Output);
        Assert.Single(Directory.GetFiles(Path.Combine(Repo, WriterLock.SharedPrefix))); // the killed writer's lease is still on disk
        // Same host, dead pid: the lease is stale at once; the next backup takes over and sweeps the debris.
        Directory.Delete(Cell, recursive: true);
        SampleTree.Create(Cell);
        Backup();
        Assert.False(AnyLeftover());
        Assert.Single(Run("Get-Backup -Repository $repo").AssertNoErrors().Output);
    }
}
