namespace BackupTools;

/// <summary>Get-BackupStatus of a WAL series (engine postgres-wal): what point-in-time recovery of the cell can count on.</summary>
public sealed class WalArchiveStatus
{
    /// <summary>Since the newest WAL (segment or stream snapshot) became durable in the repository: the live RPO.</summary>
    public required TimeSpan ArchiverLag { get; init; }
    /// <summary>The newest file name the newest WAL batch holds.</summary>
    public string? NewestWal { get; init; }
    /// <summary>The first hole after the newest base backup, named (null: none); recovery cannot pass it.</summary>
    public string? Gap { get; init; }
    public string? BaseBackupId { get; init; }
    /// <summary>Age of the cell's newest base backup: how much WAL a recovery replays (null: no base backup yet).</summary>
    public TimeSpan? BaseBackupAge { get; init; }
}
