using System.Text.Json;
using System.Text.Json.Serialization;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>
/// The repository's single-writer lock, held as a lease: the holder rewrites its heartbeat every
/// HeartbeatInterval; a lease whose heartbeat is older than LeaseDuration, or whose holder process is
/// gone on this same host, is stale and may be taken over. So a killed writer never blocks forever.
/// A lease that cannot be read (empty or damaged) counts as held for <see cref="UnreadableGrace"/>: it may be
/// a contender's that is still being written (stores without an atomic create-with-content).
/// Every wait, including breaking stale leases, ends at the caller's timeout.
/// </summary>
public sealed class WriterLock : IDisposable
{
    public const string LockKey = "locks/writer.json";
    public static TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);
    public static TimeSpan UnreadableGrace { get; set; } = TimeSpan.FromSeconds(60);
    public static TimeSpan HeartbeatInterval => LeaseDuration / 4;

    private readonly IBackupStore _store;
    private readonly LeaseInfo _lease;
    private readonly Timer _heartbeat;
    private readonly object _gate = new();
    private bool _released;

    private WriterLock(IBackupStore store, LeaseInfo lease)
    {
        _store = store;
        _lease = lease;
        _heartbeat = new Timer(_ => Beat(), null, HeartbeatInterval, HeartbeatInterval);
    }

    public string LeaseId => _lease.LeaseId;

    public static WriterLock Acquire(BackupRepository repository, string purpose, TimeSpan wait, CancellationToken cancel = default)
    {
        var store = repository.Store;
        var deadline = DateTimeOffset.UtcNow + wait;
        var unreadable = new UnreadableLease();
        for (var attempt = 1; ; attempt++)
        {
            cancel.ThrowIfCancellationRequested();
            var lease = LeaseInfo.ForThisProcess(purpose);
            if (TryCreate(store, lease, cancel)) return new WriterLock(store, lease);

            var seen = ReadRaw(store, cancel);
            var now = DateTimeOffset.UtcNow;
            var expired = now >= deadline && attempt > 1; // one retry even at -LockTimeoutSec 0: the holder may just have left
            if (seen is null)
            {
                // Released between our create and our read: try again at once, a little later if it keeps happening.
                if (expired) throw Contended(store);
                Pause(cancel, attempt < 3 ? 0 : 20);
                continue;
            }
            var holder = Parse(seen);
            if (holder is null && unreadable.HeldLongerThan(seen, UnreadableGrace, now, store.ModifiedAt(LockKey, cancel)))
            {
                Break(store, content => content.AsSpan().SequenceEqual(seen));
                if (expired) throw Contended(store);
                Pause(cancel, 10 + Random.Shared.Next(40));
                continue;
            }
            if (holder is not null && holder.IsStale(now))
            {
                Break(store, content => Parse(content)?.LeaseId == holder.LeaseId);
                if (expired) throw Contended(store);
                Pause(cancel, 10 + Random.Shared.Next(40));
                continue;
            }
            if (now >= deadline) throw Locked(store, holder);
            Pause(cancel, Math.Min(500, Math.Max(20, (int)(deadline - now).TotalMilliseconds)));
        }
    }

    private static bool TryCreate(IBackupStore store, LeaseInfo lease, CancellationToken cancel)
    {
        try
        {
            return store.TryCreateExclusive(LockKey, JsonSerializer.SerializeToUtf8Bytes(lease), cancel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackupToolsException("RepositoryLockFailed", FailureKind.WriteError,
                $"Could not create the writer lease {LockKey} in {store.Location}: {e.Message}",
                "Free space on the repository's disk or fix its permissions, then run it again.", e);
        }
    }

    private static BackupToolsException Locked(IBackupStore store, LeaseInfo? holder) => holder is null
        ? new BackupToolsException("RepositoryLocked", FailureKind.ResourceBusy,
            $"Repository {store.Location} is locked: {LockKey} exists but cannot be read (a writer may be creating it). " +
            $"It is taken over once it has stayed unreadable for {UnreadableGrace.TotalSeconds:0} s.",
            $"Wait and retry, pass -LockTimeoutSec {UnreadableGrace.TotalSeconds + 5:0} or more, or delete {LockKey} if no writer is running.")
        : new BackupToolsException("RepositoryLocked", FailureKind.ResourceBusy,
            $"Repository {store.Location} is locked by {holder.Purpose} on host {holder.Host} (pid {holder.Pid}), " +
            $"heartbeat {holder.HeartbeatAt:u}; the lease expires at {holder.HeartbeatAt + LeaseDuration:u} if that writer is gone.",
            "Wait for the other backup to finish, or pass -LockTimeoutSec to wait for it.");

    private static BackupToolsException Contended(IBackupStore store) =>
        new("RepositoryLocked", FailureKind.ResourceBusy,
            $"Repository {store.Location}: other writers kept taking or releasing {LockKey} until the lock timeout.",
            "Retry, or pass a longer -LockTimeoutSec.");

    private static void Pause(CancellationToken cancel, int milliseconds)
    {
        if (milliseconds > 0) cancel.WaitHandle.WaitOne(milliseconds);
        cancel.ThrowIfCancellationRequested();
    }

    private static byte[]? ReadRaw(IBackupStore store, CancellationToken cancel = default)
    {
        try
        {
            using var stream = store.OpenRead(LockKey, cancel);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }
        catch (StoreObjectNotFoundException)
        {
            return null;
        }
    }

    private static LeaseInfo? Parse(byte[] content)
    {
        try
        {
            var lease = JsonSerializer.Deserialize<LeaseInfo>(content);
            return lease is { LeaseId.Length: > 0 } ? lease : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static LeaseInfo? TryRead(IBackupStore store)
    {
        try
        {
            return ReadRaw(store) is { } content ? Parse(content) : null;
        }
        catch (Exception e) when (e is BackupToolsException or IOException)
        {
            return null;
        }
    }

    /// <summary>Deletes the lease only if it is still the one judged stale: another process may have just replaced it.</summary>
    private static void Break(IBackupStore store, Func<byte[], bool> stillTheSame)
    {
        try { store.DeleteIfUnchanged(LockKey, stillTheSame); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BackupToolsException) { /* storage unreachable: retried until the timeout */ }
    }

    private void Beat()
    {
        // A beat still running (slow or unreachable storage) makes this one redundant; queued beats
        // must not pile up on the gate and starve Dispose.
        if (Volatile.Read(ref _released) || !Monitor.TryEnter(_gate)) return;
        try
        {
            if (_released) return;
            var current = TryRead(_store);
            if (current?.LeaseId != _lease.LeaseId) return; // taken over: don't overwrite the new holder
            _lease.HeartbeatAt = DateTimeOffset.UtcNow;
            try { _store.Replace(LockKey, JsonSerializer.SerializeToUtf8Bytes(_lease)); } catch (Exception e) when (e is IOException or BackupToolsException) { /* storage unreachable: the lease expires */ }
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    public void Dispose()
    {
        if (Volatile.Read(ref _released)) return;
        Volatile.Write(ref _released, true); // stops new beats at once; the lock below waits out a running one
        lock (_gate)
        {
        }
        _heartbeat.Dispose();
        Break(_store, content => Parse(content)?.LeaseId == _lease.LeaseId);
    }

    /// <summary>How long the same unreadable lease has been there: seen by this contender, or by its write time where the store knows it.</summary>
    private sealed class UnreadableLease
    {
        private byte[]? _content;
        private DateTimeOffset _since;

        public bool HeldLongerThan(byte[] content, TimeSpan grace, DateTimeOffset now, DateTimeOffset? writtenAt)
        {
            if (_content is null || !_content.AsSpan().SequenceEqual(content))
            {
                _content = content;
                _since = now;
            }
            if (writtenAt is { } written && written < _since) _since = written; // e.g. left empty by a crash long ago
            return now - _since >= grace;
        }
    }

    internal sealed class LeaseInfo
    {
        [JsonPropertyName("leaseId")] public string LeaseId { get; init; } = "";
        [JsonPropertyName("purpose")] public string Purpose { get; init; } = "";
        [JsonPropertyName("host")] public string Host { get; init; } = "";
        [JsonPropertyName("pid")] public int Pid { get; init; }
        [JsonPropertyName("acquiredAt")] public DateTimeOffset AcquiredAt { get; init; }
        [JsonPropertyName("heartbeatAt")] public DateTimeOffset HeartbeatAt { get; set; }

        public static LeaseInfo ForThisProcess(string purpose) => new()
        {
            LeaseId = Guid.NewGuid().ToString("N"),
            Purpose = purpose,
            Host = Environment.MachineName,
            Pid = Environment.ProcessId,
            AcquiredAt = DateTimeOffset.UtcNow,
            HeartbeatAt = DateTimeOffset.UtcNow,
        };

        public bool IsStale(DateTimeOffset now)
        {
            if (now - HeartbeatAt > LeaseDuration) return true;
            return Host == Environment.MachineName && Pid != Environment.ProcessId && !OwnerProcess.IsAlive(Pid);
        }
    }
}
