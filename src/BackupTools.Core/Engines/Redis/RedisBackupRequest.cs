using BackupTools.Core.Repository;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.Core.Engines.Redis;

/// <summary>How Backup-RedisRdb gets its snapshot.</summary>
public enum RedisBackupMode
{
    /// <summary>Over the replication protocol (SYNC): no access to the server's disk needed.</summary>
    Replication,
    /// <summary>BGSAVE, wait for it, then read the server's own dump file.</summary>
    LocalFile,
}

public sealed record RedisBackupRequest(
    RepositoryReference Repository,
    RedisTarget Target,
    RedisBackupMode Mode,
    string? RdbPath,
    TimeSpan SaveTimeout,
    string? Cell,
    CompressionSettings? Compression,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    IReadOnlyDictionary<string, string>? Tags = null);

public sealed record RedisAofBackupRequest(
    RepositoryReference Repository,
    RedisTarget Target,
    string? Directory,
    TimeSpan RewriteTimeout,
    string? Cell,
    CompressionSettings? Compression,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout);
