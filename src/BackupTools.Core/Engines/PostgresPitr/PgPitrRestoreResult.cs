namespace BackupTools;

/// <summary>What Restore-PostgresCluster recovered, from what, and to which point.</summary>
public sealed class PgPitrRestoreResult
{
    public required string Cell { get; init; }
    public required string DataDirectory { get; init; }
    public required int Port { get; init; }
    public required bool Running { get; init; }
    /// <summary>With -InPlace: where the replaced data directory was moved (delete it once the new one is trusted).</summary>
    public string? PreviousDataDirectory { get; init; }
    public required string BaseBackupId { get; init; }
    public required DateTimeOffset BaseBackupCompletedAt { get; init; }
    /// <summary>The requested point (null: the end of the archived WAL).</summary>
    public DateTimeOffset? Target { get; init; }
    /// <summary>The commit time recovery stopped at (PostgreSQL's own report), when it names one.</summary>
    public DateTimeOffset? RecoveredTo { get; init; }
    public required int WalFiles { get; init; }
    public required string FirstWal { get; init; }
    public required string LastWal { get; init; }
    public required TimeSpan Duration { get; init; }
    public string Status => "Restored";
}
