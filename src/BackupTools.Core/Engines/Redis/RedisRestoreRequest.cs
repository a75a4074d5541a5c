using BackupTools.Core.Keys;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// Everything Restore-RedisRdb passes to the core. StopServer/StartServer replace the defaults
/// (SHUTDOWN NOSAVE; start the server's own executable with its config file) for systemd or containers.
/// </summary>
public sealed record RedisRestoreRequest(
    string RepositoryLocation,
    string Id,
    RedisTarget Target,
    string? RdbPath,
    Action? StopServer,
    Action? StartServer,
    TimeSpan StartTimeout,
    bool SkipSafetyBackup,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess);
