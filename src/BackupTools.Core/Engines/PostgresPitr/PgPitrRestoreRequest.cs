using BackupTools.Core.Repository;
using BackupTools.Core.Keys;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// Restore-PostgresCluster: the cluster of Cell as it was at At (null: as late as the archive reaches), recovered
/// into a new data directory and proven on a temporary server on Port before it is handed over. InPlace: DataDirectory
/// is a stopped cluster's, which the proven copy replaces (the old one kept beside it). TablespaceMap: a tablespace's
/// name or oid → the folder it is restored to instead of its original location.
/// </summary>
public sealed record PgPitrRestoreRequest(
    RepositoryReference Repository,
    string Cell,
    DateTimeOffset? At,
    string? BaseBackupId,
    string DataDirectory,
    int Port,
    bool KeepRunning,
    string? OsUser,
    string? ToolPath,
    BackupKeyRing? Keys,
    Func<string, string, bool> ShouldProcess,
    bool InPlace = false,
    string? Lsn = null,
    string? Xid = null,
    string? RestorePoint = null,
    IReadOnlyDictionary<string, string>? TablespaceMap = null)
{
    public RecoveryTarget Target => RecoveryTarget.From(At, Lsn, Xid, RestorePoint);
}
