using BackupTools.Core.Errors;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>
/// The repository's writer lock, shared or exclusive, each holder with its own lease object. Writers of new
/// backups (backups, safety backups, pushes, copy and sync) take a shared lease, locks/shared/&lt;leaseId&gt;.json,
/// so several write at once; whatever deletes backups (retention, Remove-Backup) takes the exclusive lease,
/// locks/writer.json, and then waits until no live shared lease is left. The race is closed by ordering: the
/// exclusive taker writes its lease before it looks for shared ones, a shared taker writes its lease before it
/// looks for the exclusive one and withdraws when it finds it live. Each holder rewrites its heartbeat every
/// HeartbeatInterval; a lease whose heartbeat is older than LeaseDuration, or whose holder process is gone on
/// this same host, is stale and is broken. A lease that cannot be read counts as held for
/// <see cref="UnreadableGrace"/> (a contender's still being written on stores without atomic create).
/// Every wait, including breaking stale leases, ends at the caller's timeout.
/// </summary>
public sealed class WriterLock : IDisposable
{
    public const string LockKey = "locks/writer.json";
    public const string SharedPrefix = "locks/shared/";
    public static TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);
    public static TimeSpan UnreadableGrace { get; set; } = TimeSpan.FromSeconds(60);
    public static TimeSpan HeartbeatInterval => LeaseDuration / 4;

    private readonly BackupRepository _repository;
    private readonly string _key;
    private readonly WriterLease _lease;
    private readonly Timer _heartbeat;
    private readonly object _gate = new();
    private bool _released;

    private WriterLock(BackupRepository repository, string key, WriterLease lease)
    {
        _repository = repository;
        _key = key;
        _lease = lease;
        _heartbeat = new Timer(_ => Beat(), null, HeartbeatInterval, HeartbeatInterval);
        repository.HeldLock = this;
    }

    public string LeaseId => _lease.LeaseId;

    /// <summary>locks/writer.json: no other writer runs (catalog compaction may then drop tombstones).</summary>
    internal bool IsExclusive => _key == LockKey;

    public static string SharedKey(string leaseId) => $"{SharedPrefix}{leaseId}.json";

    /// <summary>A shared lease: many holders at once, none while an exclusive lease lives.</summary>
    public static WriterLock AcquireShared(BackupRepository repository, string purpose, TimeSpan wait, CancellationToken cancel = default)
    {
        var store = repository.Store;
        var deadline = DateTimeOffset.UtcNow + wait;
        var unreadable = new UnreadableLease();
        for (var attempt = 1; ; attempt++)
        {
            cancel.ThrowIfCancellationRequested();
            var lease = WriterLease.ForThisProcess(purpose);
            var key = SharedKey(lease.LeaseId);
            Write(store, key, lease);
            var (blocked, holder) = ExclusiveHolder(store, unreadable, cancel);
            if (!blocked) return new WriterLock(repository, key, lease);
            WriterLease.Break(store, key, content => WriterLease.Parse(content)?.LeaseId == lease.LeaseId); // withdraw: the exclusive holder goes first
            var now = DateTimeOffset.UtcNow;
            if (now >= deadline && attempt > 1) throw holder is null ? Contended(store) : Locked(store, holder);
            Pause(cancel, Math.Min(500, Math.Max(20, (int)(deadline - now).TotalMilliseconds)));
        }
    }

    /// <summary>The exclusive lease: takes locks/writer.json, then waits for every live shared lease to go.</summary>
    public static WriterLock AcquireExclusive(BackupRepository repository, string purpose, TimeSpan wait, CancellationToken cancel = default)
    {
        var deadline = DateTimeOffset.UtcNow + wait;
        var held = new WriterLock(repository, LockKey, TakeExclusiveLease(repository.Store, purpose, deadline, cancel));
        try
        {
            WaitForSharedToDrain(repository.Store, deadline, cancel);
            return held;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>Records backups this holder is about to write before their first object is stored, so no other writer's sweep takes them for leftovers.</summary>
    public void Claim(IEnumerable<string> backupIds)
    {
        lock (_gate)
        {
            if (_released) throw new InvalidOperationException("the writer lock was released");
            _lease.Writing.AddRange(backupIds.Where(id => !_lease.Writing.Contains(id)));
            Write(_repository.Store, _key, _lease);
        }
    }

    /// <summary>
    /// Backup ids live writers are writing, and whether some live lease could not be read (then nothing without a
    /// manifest may be taken for a leftover). Stale leases count for nothing; stale shared ones are removed.
    /// </summary>
    public static (IReadOnlySet<string> Writing, bool Unknown) InFlight(IBackupStore store, CancellationToken cancel = default)
    {
        var writing = new HashSet<string>(StringComparer.Ordinal);
        var unknown = false;
        foreach (var key in store.List(SharedPrefix, cancel).Append(LockKey))
        {
            var raw = WriterLease.ReadRaw(store, key, cancel);
            if (raw is null) continue;
            var now = DateTimeOffset.UtcNow;
            var lease = WriterLease.Parse(raw);
            if (lease is null)
                unknown |= store.ModifiedAt(key, cancel) is not { } written || now - written < UnreadableGrace;
            else if (!lease.IsStale(now))
                writing.UnionWith(lease.Writing);
            else if (key != LockKey)
                WriterLease.Break(store, key, content => WriterLease.Parse(content)?.LeaseId == lease.LeaseId); // a dead writer's: nobody else removes it
        }
        return (writing, unknown);
    }

    private static WriterLease TakeExclusiveLease(IBackupStore store, string purpose, DateTimeOffset deadline, CancellationToken cancel)
    {
        var unreadable = new UnreadableLease();
        for (var attempt = 1; ; attempt++)
        {
            cancel.ThrowIfCancellationRequested();
            var lease = WriterLease.ForThisProcess(purpose);
            if (TryCreate(store, lease, cancel)) return lease;

            var seen = WriterLease.ReadRaw(store, LockKey, cancel);
            var now = DateTimeOffset.UtcNow;
            var expired = now >= deadline && attempt > 1; // one retry even at -LockTimeoutSec 0: the holder may just have left
            if (seen is null)
            {
                // Released between our create and our read: try again at once, a little later if it keeps happening.
                if (expired) throw Contended(store);
                Pause(cancel, attempt < 3 ? 0 : 20);
                continue;
            }
            var holder = WriterLease.Parse(seen);
            if (holder is null && unreadable.HeldLongerThan(seen, UnreadableGrace, now, store.ModifiedAt(LockKey, cancel)))
            {
                WriterLease.Break(store, LockKey, content => content.AsSpan().SequenceEqual(seen));
                if (expired) throw Contended(store);
                Pause(cancel, 10 + Random.Shared.Next(40));
                continue;
            }
            if (holder is not null && holder.IsStale(now))
            {
                WriterLease.Break(store, LockKey, content => WriterLease.Parse(content)?.LeaseId == holder.LeaseId);
                if (expired) throw Contended(store);
                Pause(cancel, 10 + Random.Shared.Next(40));
                continue;
            }
            if (now >= deadline) throw Locked(store, holder);
            Pause(cancel, Math.Min(500, Math.Max(20, (int)(deadline - now).TotalMilliseconds)));
        }
    }

    /// <summary>Whether a live exclusive lease blocks shared takers (a stale one is broken on the way), and its holder when readable.</summary>
    private static (bool Blocked, WriterLease? Holder) ExclusiveHolder(IBackupStore store, UnreadableLease unreadable, CancellationToken cancel)
    {
        var seen = WriterLease.ReadRaw(store, LockKey, cancel);
        if (seen is null) return (false, null);
        var now = DateTimeOffset.UtcNow;
        var holder = WriterLease.Parse(seen);
        if (holder is null)
        {
            if (!unreadable.HeldLongerThan(seen, UnreadableGrace, now, store.ModifiedAt(LockKey, cancel))) return (true, null);
            WriterLease.Break(store, LockKey, content => content.AsSpan().SequenceEqual(seen));
            return (false, null);
        }
        if (!holder.IsStale(now)) return (true, holder);
        WriterLease.Break(store, LockKey, content => WriterLease.Parse(content)?.LeaseId == holder.LeaseId);
        return (false, null);
    }

    private static void WaitForSharedToDrain(IBackupStore store, DateTimeOffset deadline, CancellationToken cancel)
    {
        var unreadable = new Dictionary<string, UnreadableLease>(StringComparer.Ordinal);
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            var live = new List<WriterLease>();
            var anyUnreadable = false;
            foreach (var key in store.List(SharedPrefix, cancel).ToList())
            {
                var seen = WriterLease.ReadRaw(store, key, cancel);
                if (seen is null) continue;
                var now = DateTimeOffset.UtcNow;
                var lease = WriterLease.Parse(seen);
                if (lease is null)
                {
                    var since = unreadable.TryGetValue(key, out var u) ? u : unreadable[key] = new UnreadableLease();
                    if (since.HeldLongerThan(seen, UnreadableGrace, now, store.ModifiedAt(key, cancel)))
                        WriterLease.Break(store, key, content => content.AsSpan().SequenceEqual(seen));
                    else anyUnreadable = true;
                }
                else if (lease.IsStale(now)) WriterLease.Break(store, key, content => WriterLease.Parse(content)?.LeaseId == lease.LeaseId);
                else live.Add(lease);
            }
            if (live.Count == 0 && !anyUnreadable) return;
            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero) throw SharedHeld(store, live);
            Pause(cancel, Math.Min(500, Math.Max(20, (int)left.TotalMilliseconds)));
        }
    }

    private static void Write(IBackupStore store, string key, WriterLease lease)
    {
        try
        {
            store.Replace(key, lease.ToBytes());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LockFailed(store, key, e);
        }
    }

    private static bool TryCreate(IBackupStore store, WriterLease lease, CancellationToken cancel)
    {
        try
        {
            return store.TryCreateExclusive(LockKey, lease.ToBytes(), cancel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LockFailed(store, LockKey, e);
        }
    }

    private static BackupToolsException LockFailed(IBackupStore store, string key, Exception e) =>
        new("RepositoryLockFailed", FailureKind.WriteError,
            $"Could not create the writer lease {key} in {store.Location}: {e.Message}",
            "Free space on the repository's disk or fix its permissions, then run it again.", e);

    private static BackupToolsException Locked(IBackupStore store, WriterLease? holder) => holder is null
        ? new BackupToolsException("RepositoryLocked", FailureKind.ResourceBusy,
            $"Repository {store.Location} is locked: {LockKey} exists but cannot be read (a writer may be creating it). " +
            $"It is taken over once it has stayed unreadable for {UnreadableGrace.TotalSeconds:0} s.",
            $"Wait and retry, pass -LockTimeoutSec {UnreadableGrace.TotalSeconds + 5:0} or more, or delete {LockKey} if no writer is running.")
        : new BackupToolsException("RepositoryLocked", FailureKind.ResourceBusy,
            $"Repository {store.Location} is locked by {holder.Describe()}; " +
            $"the lease expires at {holder.HeartbeatAt + LeaseDuration:u} if that writer is gone.",
            "Wait for the other operation to finish, or pass -LockTimeoutSec to wait for it.");

    private static BackupToolsException SharedHeld(IBackupStore store, List<WriterLease> live) =>
        new("RepositoryLocked", FailureKind.ResourceBusy,
            $"Repository {store.Location} has {(live.Count == 0 ? "an unreadable" : live.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))} " +
            $"writer lease(s) under {SharedPrefix} still live" + (live.Count > 0 ? $", e.g. {live[0].Describe()}" : "") +
            "; backups are being written, so nothing may be deleted now.",
            "Wait for the backups to finish, or pass a longer -LockTimeoutSec to wait for them.");

    private static BackupToolsException Contended(IBackupStore store) =>
        new("RepositoryLocked", FailureKind.ResourceBusy,
            $"Repository {store.Location}: other writers kept taking or releasing {LockKey} until the lock timeout.",
            "Retry, or pass a longer -LockTimeoutSec.");

    private static void Pause(CancellationToken cancel, int milliseconds)
    {
        if (milliseconds > 0) cancel.WaitHandle.WaitOne(milliseconds);
        cancel.ThrowIfCancellationRequested();
    }

    private void Beat()
    {
        // A beat still running (slow or unreachable storage) makes this one redundant; queued beats
        // must not pile up on the gate and starve Dispose.
        if (Volatile.Read(ref _released) || !Monitor.TryEnter(_gate)) return;
        try
        {
            if (_released) return;
            var current = WriterLease.TryRead(_repository.Store, _key);
            if (current?.LeaseId != _lease.LeaseId) return; // broken as stale: don't bring it back
            _lease.HeartbeatAt = DateTimeOffset.UtcNow;
            try { _repository.Store.Replace(_key, _lease.ToBytes()); } catch (Exception e) when (e is IOException or BackupToolsException) { /* storage unreachable: the lease expires */ }
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
        if (ReferenceEquals(_repository.HeldLock, this)) _repository.HeldLock = null;
        WriterLease.Break(_repository.Store, _key, content => WriterLease.Parse(content)?.LeaseId == _lease.LeaseId);
    }
}
