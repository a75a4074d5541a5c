using BackupTools.Core.Repository;
using BackupTools.Core.Keys;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// Everything Restore-RedisRdb passes to the core. StopServer/StartServer replace the defaults
/// (SHUTDOWN NOSAVE; start the server's own executable with its config file) for systemd or containers.
/// </summary>
public sealed record RedisRestoreRequest(
    RepositoryReference Repository,
    string Id,
    RedisTarget Target,
    string? RdbPath,
    Action? StopServer,
    Action? StartServer,
    TimeSpan StartTimeout,
    bool SkipSafetyBackup,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess,
    RedisRestoreMethod Method = RedisRestoreMethod.Auto);

/// <summary>How Restore-RedisRdb puts the data in: swap the dump file (fast, needs the server's files and a way to
/// restart it on this machine) or replay every key over the network (any reachable server).</summary>
public enum RedisRestoreMethod
{
    /// <summary>FileSwap when this machine can swap the server's file and restart it, else Replay.</summary>
    Auto,
    FileSwap,
    Replay,
}
