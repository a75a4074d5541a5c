using System.Diagnostics;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// BGSAVE and wait for exactly that save: done when no save is running and LASTSAVE moved or the save
/// counter (rdb_saves, Redis 7+) went up, or the save we saw running ended. Polls INFO persistence; never a fixed sleep, always a timeout.
/// </summary>
internal sealed class RedisBackgroundSave(RedisInspector inspector, IOperationObserver observer)
{
    public long SaveAndWait(TimeSpan timeout, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        // A save already running started before our request: its snapshot is older. Let it finish first.
        WaitWhile(() => Persistence().InProgress, timeout, clock, cancel);
        var before = Persistence();
        observer.Verbose($"BGSAVE on {inspector.Target}: {inspector.BackgroundSave()}");
        var seenRunning = false;
        while (true)
        {
            var now = Persistence();
            seenRunning |= now.InProgress;
            if (!now.InProgress && (seenRunning || now.LastSave > before.LastSave || now.Saves > before.Saves))
            {
                if (now.Status != "ok")
                    throw new BackupToolsException("RedisSaveFailed", FailureKind.ExternalToolFailure,
                        $"{inspector.Target} reports its BGSAVE failed (rdb_last_bgsave_status:{now.Status}).", "Check the server log (disk full? permissions of the data directory?).");
                return now.LastSave;
            }
            Pause(timeout, clock, cancel);
        }
    }

    private void WaitWhile(Func<bool> condition, TimeSpan timeout, Stopwatch clock, CancellationToken cancel)
    {
        while (condition()) Pause(timeout, clock, cancel);
    }

    private void Pause(TimeSpan timeout, Stopwatch clock, CancellationToken cancel)
    {
        if (clock.Elapsed > timeout)
            throw new BackupToolsException("RedisSaveTimeout", FailureKind.ResourceBusy,
                $"{inspector.Target} did not finish its BGSAVE within {timeout.TotalSeconds:0} s.", "Raise -SaveTimeoutSec for a large dataset, or check the server log.");
        cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
        cancel.ThrowIfCancellationRequested();
    }

    private Snapshot Persistence()
    {
        var info = inspector.Info("persistence");
        return new Snapshot(info.GetValueOrDefault("rdb_bgsave_in_progress") == "1",
            long.TryParse(info.GetValueOrDefault("rdb_last_save_time"), out var last) ? last : inspector.LastSave(),
            long.TryParse(info.GetValueOrDefault("rdb_saves"), out var saves) ? saves : 0,
            info.GetValueOrDefault("rdb_last_bgsave_status") ?? "ok");
    }

    /// <summary>A failed save leaves LASTSAVE alone and sets the status to err.</summary>
    private sealed record Snapshot(bool InProgress, long LastSave, long Saves, string Status);
}
