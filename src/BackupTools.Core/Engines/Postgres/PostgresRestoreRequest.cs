using BackupTools.Core.Repository;
using BackupTools.Core.Keys;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>Everything Restore-Postgres passes to the core. Id wins; else the newest backup of Database completed at or before At. Jobs ≥ 2: parallel pg_restore.</summary>
public sealed record PostgresRestoreRequest(
    RepositoryReference Repository,
    string? Id,
    string? Database,
    DateTimeOffset? At,
    string? TargetDatabase,
    PostgresTarget Target,
    bool Force,
    bool SkipSafetyBackup,
    string? ToolPath,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess,
    int Jobs = 1) : IDatabaseRestoreRequest
{
    public string Server => $"{Target.Host}:{Target.Port}";
    public string Describe(string database) => Target.Describe(database);
}
