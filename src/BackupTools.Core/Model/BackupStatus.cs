namespace BackupTools;

/// <summary>
/// Get-BackupStatus's view of one series (a cell's backups of one engine and source): when it last
/// succeeded, when it was last verified (and restore-tested), whether its chain is whole, and every
/// warning that makes it unhealthy. Healthy means no warnings.
/// </summary>
public sealed class BackupStatus
{
    public required string Repository { get; init; }
    public required string Cell { get; init; }
    public required string Engine { get; init; }
    public required string Source { get; init; }
    public required int BackupCount { get; init; }
    /// <summary>The newest backup of the series.</summary>
    public required BackupRecord LastBackup { get; init; }
    public DateTimeOffset LastSuccess => LastBackup.CompletedAt;
    public required TimeSpan Age { get; init; }
    public DateTimeOffset? LastVerified { get; init; }
    public bool? LastVerificationPassed { get; init; }
    public string? LastVerifiedId { get; init; }
    /// <summary>The newest passed verification that restored the backup (-RestoreTest).</summary>
    public DateTimeOffset? LastVerifiedRestore { get; init; }
    public TimeSpan? LastVerifiedRestoreAge { get; init; }
    public double? LastRestoreSeconds { get; init; }
    /// <summary>Stored bytes of every backup in the series.</summary>
    public required long SeriesStoredBytes { get; init; }
    public required bool ChainHealthy { get; init; }
    /// <summary>Binlog archives: the newest archived event's time (live RPO is now minus this); null for other series.</summary>
    public DateTimeOffset? ArchiveNewestEvent { get; init; }
    /// <summary>Binlog archives: how many gaps the archive has (each named in Warnings); null for other series.</summary>
    public int? ArchiveGaps { get; init; }
    public required string[] Warnings { get; init; }
    /// <summary>WAL series (postgres-wal) only: archiver lag, gap and the base backup it builds on.</summary>
    public WalArchiveStatus? Wal { get; init; }
    /// <summary>Log series (binlog, WAL): the long-running archiver's heartbeat state; null when no archiver ever beat for it.</summary>
    public ArchiverStatus? Archiver { get; init; }
    public bool Healthy => Warnings.Length == 0;
    /// <summary>Ids of the keys the series' backups need (after rotations): each must be kept until re-wrapped.</summary>
    public string[] KeysNeeded { get; init; } = [];

    public override string ToString() => $"{Cell}/{Engine}/{Source}: {(Healthy ? "healthy" : string.Join("; ", Warnings))}";
}
