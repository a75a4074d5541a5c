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
    public required string[] Warnings { get; init; }
    /// <summary>WAL series (postgres-wal) only: archiver lag, gap and the base backup it builds on.</summary>
    public WalArchiveStatus? Wal { get; init; }
    public bool Healthy => Warnings.Length == 0;

    public override string ToString() => $"{Cell}/{Engine}/{Source}: {(Healthy ? "healthy" : string.Join("; ", Warnings))}";
}
