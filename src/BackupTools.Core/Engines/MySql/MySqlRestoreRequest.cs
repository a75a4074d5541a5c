using BackupTools.Core.Repository;
using BackupTools.Core.Keys;

namespace BackupTools.Core.Engines.MySql;

/// <summary>
/// Everything Restore-MySql passes to the core. Id wins; else the newest backup of Database completed at or before At.
/// Force ends the sessions using the database just before the swap. Replay: binlog replay on top of the dump (point in time).
/// </summary>
public sealed record MySqlRestoreRequest(
    RepositoryReference Repository,
    string? Id,
    string? Database,
    DateTimeOffset? At,
    string? TargetDatabase,
    MySqlTarget Target,
    bool SkipSafetyBackup,
    string? ToolPath,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess,
    bool Force = false,
    MySqlPitr.BinlogReplayTarget? Replay = null) : IDatabaseRestoreRequest
{
    public string Server => $"{Target.Host}:{Target.Port}";
    public string Describe(string database) => Target.Describe(database);
}
