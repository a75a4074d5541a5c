namespace BackupTools;

/// <summary>What Restore-RedisRdb did.</summary>
public sealed class RedisRestoreResult : RestoreOutcome
{
    public required string Server { get; init; }
    /// <summary>The dump file swapped (empty for a network replay).</summary>
    public required string RdbPath { get; init; }
    public required BackupTools.Core.Engines.Redis.RedisRestoreMethod Method { get; init; }
    public required int Databases { get; init; }
    public required long Keys { get; init; }
    /// <summary>Keys whose TTL passed between the backup and the restore (the server drops them while loading).</summary>
    public required long ExpiredKeys { get; init; }
}
