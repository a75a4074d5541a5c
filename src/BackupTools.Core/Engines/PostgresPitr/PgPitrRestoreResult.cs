namespace BackupTools;

/// <summary>
/// What Restore-PostgresCluster recovered, from what, and to which point. RestoredId is the base backup
/// (BaseBackupId, kept for scripts), Destination the data directory, RestoredPointInTime the commit time recovery
/// stopped at (else the base backup's completion).
/// </summary>
public sealed class PgPitrRestoreResult : RestoreOutcome
{
    public string DataDirectory => Destination;
    public required int Port { get; init; }
    public required bool Running { get; init; }
    /// <summary>With -InPlace: where the replaced data directory was moved (delete it once the new one is trusted).</summary>
    public string? PreviousDataDirectory { get; init; }
    public string BaseBackupId => RestoredId;
    public required DateTimeOffset BaseBackupCompletedAt { get; init; }
    /// <summary>The requested point (null: the end of the archived WAL).</summary>
    public DateTimeOffset? Target { get; init; }
    /// <summary>The commit time recovery stopped at (PostgreSQL's own report), when it names one.</summary>
    public DateTimeOffset? RecoveredTo { get; init; }
    public required int WalFiles { get; init; }
    public required string FirstWal { get; init; }
    public required string LastWal { get; init; }
}
