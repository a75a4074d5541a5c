using BackupTools.Core.Errors;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Faults;

/// <summary>Issue 14 item 4: the writer lease under contention, empty leases, -LockTimeoutSec 0.</summary>
[Collection("lease-duration")]
public sealed class LockFaultTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly BackupRepository _repository;

    public LockFaultTests()
    {
        _repository = BackupRepository.Initialize(new LocalBackupStore(_temp.Sub("repo")), new RepositoryDefaults(), formatVersion: 1);
    }

    private string LeasePath => Path.Combine(_temp.Sub("repo"), "locks", "writer.json");

    [Fact]
    public void Ten_writers_hammering_the_lease_never_overlap_and_fail_only_with_RepositoryLocked()
    {
        var holders = 0;
        var overlaps = 0;
        var acquired = 0;
        var lockedErrors = 0;
        var rawErrors = new System.Collections.Concurrent.ConcurrentBag<string>();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(8);
        var writers = Enumerable.Range(0, 10).Select(i => new Thread(() =>
        {
            // Half insist (-LockTimeoutSec 30), half give up at once (-LockTimeoutSec 0) as cron jobs might.
            var wait = i % 2 == 0 ? TimeSpan.FromSeconds(30) : TimeSpan.Zero;
            while (DateTime.UtcNow < until)
            {
                try
                {
                    using (WriterLock.AcquireExclusive(_repository, $"writer {i}", wait))
                    {
                        if (Interlocked.Increment(ref holders) > 1) Interlocked.Increment(ref overlaps);
                        Interlocked.Increment(ref acquired);
                        Thread.SpinWait(2000);
                        Interlocked.Decrement(ref holders);
                    }
                }
                catch (BackupToolsException e) when (e.ErrorId == "RepositoryLocked")
                {
                    Interlocked.Increment(ref lockedErrors);
                }
                catch (Exception e)
                {
                    rawErrors.Add(e.GetType().Name + ": " + e.Message);
                }
            }
        })).ToList();
        writers.ForEach(t => t.Start());
        writers.ForEach(t => t.Join());

        Assert.True(rawErrors.IsEmpty, string.Join(" | ", rawErrors.Distinct().Take(5)));
        Assert.Equal(0, overlaps);
        Assert.True(acquired > 50, $"only {acquired} acquisitions");
        Assert.True(lockedErrors > 0, "the -LockTimeoutSec 0 writers never met a held lease");
        Assert.False(File.Exists(LeasePath));
    }

    [Fact]
    public void Shared_and_exclusive_takers_hammering_the_locks_never_overlap()
    {
        int shared = 0, exclusive = 0, overlaps = 0, sharedTaken = 0, exclusiveTaken = 0;
        var rawErrors = new System.Collections.Concurrent.ConcurrentBag<string>();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(8);
        var takers = Enumerable.Range(0, 8).Select(i => new Thread(() =>
        {
            var isExclusive = i % 4 == 0; // 2 deleters, 6 backups
            while (DateTime.UtcNow < until)
            {
                try
                {
                    using var held = isExclusive
                        ? WriterLock.AcquireExclusive(_repository, $"deleter {i}", TimeSpan.FromSeconds(30))
                        : WriterLock.AcquireShared(_repository, $"backup {i}", TimeSpan.FromSeconds(30));
                    if (isExclusive)
                    {
                        if (Interlocked.Increment(ref exclusive) > 1 || Volatile.Read(ref shared) > 0) Interlocked.Increment(ref overlaps);
                        Interlocked.Increment(ref exclusiveTaken);
                        Thread.Sleep(5);
                        Interlocked.Decrement(ref exclusive);
                    }
                    else
                    {
                        Interlocked.Increment(ref shared);
                        if (Volatile.Read(ref exclusive) > 0) Interlocked.Increment(ref overlaps);
                        Interlocked.Increment(ref sharedTaken);
                        Thread.Sleep(5);
                        Interlocked.Decrement(ref shared);
                    }
                }
                catch (Exception e)
                {
                    rawErrors.Add(e.GetType().Name + ": " + e.Message);
                }
                // Deleters that re-take the lease at once would starve the backups (shared takers yield to a live
                // exclusive lease, by design); real deletions are rare, so give the backups a turn between them.
                if (isExclusive) Thread.Sleep(50);
            }
        })).ToList();
        takers.ForEach(t => t.Start());
        takers.ForEach(t => t.Join());

        Assert.True(rawErrors.IsEmpty, string.Join(" | ", rawErrors.Distinct().Take(5)));
        Assert.Equal(0, overlaps);
        Assert.True(sharedTaken > 20 && exclusiveTaken > 2, $"only {sharedTaken} shared and {exclusiveTaken} exclusive acquisitions");
        Assert.False(Leases.AnyIn(_temp.Sub("repo")));
    }

    [Fact]
    public void Lock_timeout_zero_fails_over_a_live_lease_held_by_another_process()
    {
        using var holder = new BtProcess(
            BtProcess.CoreTypeFunction +
            $"$r = (CoreType BackupTools.Core.Repository.BackupRepository)::Open((CoreType BackupTools.Core.Storage.LocalBackupStore)::new('{_temp.Sub("repo")}')); " +
            "$l = (CoreType BackupTools.Core.Repository.WriterLock)::AcquireExclusive($r, 'holder', [TimeSpan]::Zero, [Threading.CancellationToken]::None); Start-Sleep 60");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(LeasePath) && clock.Elapsed < TimeSpan.FromSeconds(60) && !holder.HasExited) Thread.Sleep(50);
        Assert.True(File.Exists(LeasePath), "the holder process never took the lease");
        var error = Assert.Throws<BackupToolsException>(() => WriterLock.AcquireExclusive(_repository, "second", TimeSpan.Zero));
        Assert.Equal("RepositoryLocked", error.ErrorId);
        Assert.Contains($"pid {holder.Pid}", error.Message);
        holder.Kill();
        // Its process is gone: the lease is stale at once, not after the lease duration.
        using var taken = WriterLock.AcquireExclusive(_repository, "after the holder died", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void An_empty_lease_is_held_for_the_grace_period_not_broken_at_once()
    {
        // What a contender's lease looks like between its create and its write on a store without atomic create.
        Directory.CreateDirectory(Path.GetDirectoryName(LeasePath)!);
        File.WriteAllBytes(LeasePath, []);
        var saved = WriterLock.UnreadableGrace;
        try
        {
            WriterLock.UnreadableGrace = TimeSpan.FromSeconds(2);
            var error = Assert.Throws<BackupToolsException>(() => WriterLock.AcquireExclusive(_repository, "impatient", TimeSpan.Zero));
            Assert.Equal("RepositoryLocked", error.ErrorId);
            Assert.Contains("cannot be read", error.Message);
            Assert.True(File.Exists(LeasePath) && new FileInfo(LeasePath).Length == 0, "the empty lease was broken");

            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var taken = WriterLock.AcquireExclusive(_repository, "patient", TimeSpan.FromSeconds(20));
            Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 10);
        }
        finally
        {
            WriterLock.UnreadableGrace = saved;
        }
    }

    [Fact]
    public void An_empty_lease_written_long_ago_is_taken_over_at_once()
    {
        // Left by a writer that crashed between creating and writing it (older versions, file systems without hard links).
        Directory.CreateDirectory(Path.GetDirectoryName(LeasePath)!);
        File.WriteAllBytes(LeasePath, []);
        File.SetLastWriteTimeUtc(LeasePath, DateTime.UtcNow - WriterLock.UnreadableGrace - TimeSpan.FromMinutes(1));
        using var taken = WriterLock.AcquireExclusive(_repository, "next writer", TimeSpan.Zero);
        Assert.True(new FileInfo(LeasePath).Length > 0);
    }

    [Fact]
    public void Breaking_a_stale_lease_spares_a_lease_a_new_holder_created_meanwhile()
    {
        var store = (LocalBackupStore)_repository.Store;
        using var live = WriterLock.AcquireExclusive(_repository, "new holder", TimeSpan.Zero);
        var before = File.ReadAllBytes(LeasePath);
        // A contender that judged an older lease stale: the lease it finds now is not that one.
        Assert.False(store.DeleteIfUnchanged(WriterLock.LockKey, content => content.AsSpan().SequenceEqual("{\"leaseId\":\"old\"}"u8)));
        Assert.Equal(before, File.ReadAllBytes(LeasePath));
        // Replaced between the check in place and the move aside: the check there finds it and puts it back.
        var checks = 0;
        Assert.False(store.DeleteIfUnchanged(WriterLock.LockKey, _ => checks++ == 0));
        Assert.Equal(2, checks);
        Assert.Equal(before, File.ReadAllBytes(LeasePath));
        Assert.Empty(Directory.GetFiles(_temp.Sub("repo/tmp")));
    }

    public void Dispose() => _temp.Dispose();
}
