using BackupTools.Core.Repository;
using BackupTools.Core.Keys;

namespace BackupTools.Core.Engines.Directory;

/// <summary>Everything Restore-Cell passes to the core. Id wins over At; neither means the latest backup. Hook runs after a successful restore.</summary>
public sealed record CellRestoreRequest(
    RepositoryReference Repository,
    string? Cell,
    string? Id,
    DateTimeOffset? At,
    string? Destination,
    bool SkipSafetyBackup,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess,
    Operations.RestoreHook? Hook = null);
