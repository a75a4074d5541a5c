namespace BackupTools;

/// <summary>What Restore-Postgres and Restore-MySql did.</summary>
public sealed class DatabaseRestoreResult
{
    public required string Database { get; init; }
    public required string Server { get; init; }
    public required string RestoredId { get; init; }
    public required DateTimeOffset RestoredPointInTime { get; init; }
    public string? SafetyBackupId { get; init; }
    public required bool SafetyBackupSkipped { get; init; }
    public required bool ReplacedExistingDatabase { get; init; }
    public required int Tables { get; init; }
    public required long Rows { get; init; }
    public required TimeSpan Duration { get; init; }
    public string Status => "Restored";
}
