using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using BackupTools.Core.Errors;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>
/// The repository's single-writer lock, held as a lease: the holder rewrites its heartbeat every
/// HeartbeatInterval; a lease whose heartbeat is older than LeaseDuration, or whose holder process is
/// gone on this same host, is stale and may be taken over. So a killed writer never blocks forever.
/// </summary>
public sealed class WriterLock : IDisposable
{
    public const string LockKey = "locks/writer.json";
    public static TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);
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
        while (true)
        {
            var lease = LeaseInfo.ForThisProcess(purpose);
            if (store.TryCreateExclusive(LockKey, JsonSerializer.SerializeToUtf8Bytes(lease)))
                return new WriterLock(store, lease);

            var holder = TryRead(store);
            if (holder is null && !store.Exists(LockKey))
            {
                // Free again, or another contender won and is still writing it (S3): never delete here.
                cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(50 + Random.Shared.Next(200)));
                cancel.ThrowIfCancellationRequested();
                continue;
            }
            if (holder is null || holder.IsStale(DateTimeOffset.UtcNow))
            {
                BreakStaleLease(store, holder);
                continue;
            }
            if (DateTimeOffset.UtcNow >= deadline)
                throw new BackupToolsException("RepositoryLocked", FailureKind.ResourceBusy,
                    $"Repository {store.Location} is locked by {holder.Purpose} on host {holder.Host} (pid {holder.Pid}), " +
                    $"heartbeat {holder.HeartbeatAt:u}; the lease expires at {holder.HeartbeatAt + LeaseDuration:u} if that writer is gone.",
                    "Wait for the other backup to finish, or pass -LockTimeout to wait for it.");
            cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(500));
            cancel.ThrowIfCancellationRequested();
        }
    }

    private static LeaseInfo? TryRead(IBackupStore store)
    {
        try
        {
            using var stream = store.OpenRead(LockKey);
            return JsonSerializer.Deserialize<LeaseInfo>(stream);
        }
        catch (Exception e) when (e is BackupToolsException or JsonException or IOException)
        {
            return null;
        }
    }

    private static void BreakStaleLease(IBackupStore store, LeaseInfo? seen)
    {
        // Only delete the lease we judged stale: another process may have just replaced it.
        var current = TryRead(store);
        if (current?.LeaseId != seen?.LeaseId) return;
        try { store.Delete(LockKey); } catch (Exception e) when (e is IOException or BackupToolsException) { /* storage unreachable: the lease expires */ }
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
        if (TryRead(_store)?.LeaseId == _lease.LeaseId)
        {
            try { _store.Delete(LockKey); } catch (Exception e) when (e is IOException or BackupToolsException) { /* storage unreachable: the lease expires */ }
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
            return Host == Environment.MachineName && Pid != Environment.ProcessId && !ProcessAlive(Pid);
        }

        private static bool ProcessAlive(int pid)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
    }
}
