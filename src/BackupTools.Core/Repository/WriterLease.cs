using System.Text.Json;
using System.Text.Json.Serialization;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>One lease object (the exclusive locks/writer.json or a shared locks/shared/&lt;id&gt;.json): who holds it, its heartbeat, the backups it is writing.</summary>
internal sealed class WriterLease
{
    [JsonPropertyName("leaseId")] public string LeaseId { get; init; } = "";
    [JsonPropertyName("purpose")] public string Purpose { get; init; } = "";
    [JsonPropertyName("host")] public string Host { get; init; } = "";
    [JsonPropertyName("pid")] public int Pid { get; init; }
    [JsonPropertyName("acquiredAt")] public DateTimeOffset AcquiredAt { get; init; }
    [JsonPropertyName("heartbeatAt")] public DateTimeOffset HeartbeatAt { get; set; }

    /// <summary>Backup ids this holder is writing (objects without a manifest yet): a sweep spares them while the lease lives.</summary>
    [JsonPropertyName("writing")] public List<string> Writing { get; init; } = [];

    public static WriterLease ForThisProcess(string purpose) => new()
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
        if (now - HeartbeatAt > WriterLock.LeaseDuration) return true;
        return Host == Environment.MachineName && Pid != Environment.ProcessId && !OwnerProcess.IsAlive(Pid);
    }

    public string Describe() => $"{Purpose} on host {Host} (pid {Pid}), heartbeat {HeartbeatAt:u}";

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this);

    public static byte[]? ReadRaw(IBackupStore store, string key, CancellationToken cancel = default)
    {
        try
        {
            using var stream = store.OpenRead(key, cancel);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }
        catch (StoreObjectNotFoundException)
        {
            return null;
        }
    }

    public static WriterLease? Parse(byte[] content)
    {
        try
        {
            var lease = JsonSerializer.Deserialize<WriterLease>(content);
            return lease is { LeaseId.Length: > 0 } ? lease : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static WriterLease? TryRead(IBackupStore store, string key)
    {
        try
        {
            return ReadRaw(store, key) is { } content ? Parse(content) : null;
        }
        catch (Exception e) when (e is BackupToolsException or IOException)
        {
            return null;
        }
    }

    /// <summary>Deletes a lease only if it is still the one judged stale: another process may have just replaced it.</summary>
    public static void Break(IBackupStore store, string key, Func<byte[], bool> stillTheSame)
    {
        try { store.DeleteIfUnchanged(key, stillTheSame); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BackupToolsException) { /* storage unreachable: retried until the timeout */ }
    }
}

/// <summary>How long the same unreadable lease has been there: seen by this contender, or by its write time where the store knows it.</summary>
internal sealed class UnreadableLease
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
