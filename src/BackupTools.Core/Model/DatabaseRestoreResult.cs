namespace BackupTools;

/// <summary>What Restore-Postgres and Restore-MySql did.</summary>
public sealed class DatabaseRestoreResult : RestoreOutcome
{
    public required string Database { get; init; }
    public required string Server { get; init; }
    public required bool ReplacedExistingDatabase { get; init; }
    public required int Tables { get; init; }
    public required long Rows { get; init; }
}
