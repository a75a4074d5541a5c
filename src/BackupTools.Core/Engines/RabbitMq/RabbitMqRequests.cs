using BackupTools.Core.Repository;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.Core.Engines.RabbitMq;

public sealed record RabbitMqBackupRequest(
    RepositoryReference Repository,
    RabbitMqTarget Target,
    string? Cell,
    CompressionSettings? Compression,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>Target.Vhost: for a per-vhost backup, the vhost to import into (default: the one backed up; created if missing).</summary>
public sealed record RabbitMqRestoreRequest(
    RepositoryReference Repository,
    string Id,
    RabbitMqTarget Target,
    bool SkipSafetyBackup,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess);

public sealed class RabbitMqRestoreResult : RestoreOutcome
{
    public required string Broker { get; init; }
    public string? Vhost { get; init; }
    /// <summary>Objects imported, per kind (users, vhosts, queues…).</summary>
    public required IReadOnlyDictionary<string, int> Objects { get; init; }
}
