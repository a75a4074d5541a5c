using BackupTools.Core.Keys;

namespace BackupTools.Core.Engines.MySql;

/// <summary>Everything Restore-MySql passes to the core. Id wins; else the newest backup of Database completed at or before At.</summary>
public sealed record MySqlRestoreRequest(
    string RepositoryLocation,
    string? Id,
    string? Database,
    DateTimeOffset? At,
    string? TargetDatabase,
    MySqlTarget Target,
    bool SkipSafetyBackup,
    string? ToolPath,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess) : IDatabaseRestoreRequest
{
    public string Server => $"{Target.Host}:{Target.Port}";
    public string Describe(string database) => Target.Describe(database);
}
