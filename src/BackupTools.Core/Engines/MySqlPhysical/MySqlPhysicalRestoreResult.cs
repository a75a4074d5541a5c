namespace BackupTools;

/// <summary>
/// What Restore-MySqlPhysical put in place, from which backup, replayed to which point. RestoredId is the physical
/// backup (BackupId), Destination the data directory. No safety backup: the replaced directory itself is kept
/// (PreviousDataDirectory) until the new server answers.
/// </summary>
public sealed class MySqlPhysicalRestoreResult : RestoreOutcome
{
    public string BackupId => RestoredId;
    public required DateTimeOffset BackupCompletedAt { get; init; }
    public string DataDirectory => Destination;
    /// <summary>Where the replaced data directory is kept (null: there was none, or it was removed once the new server answered).</summary>
    public string? PreviousDataDirectory { get; init; }
    /// <summary>The binlog replayed on top of the backup (file:pos … file:end to/through the target), null without -BinlogCell.</summary>
    public string? BinlogReplayed { get; init; }
    /// <summary>Whether -StartCommand started the server and it answered.</summary>
    public required bool Started { get; init; }
    public required int Databases { get; init; }
    public required int Tables { get; init; }
    /// <summary>Rows counted in every table of the proven copy, by `database.table`.</summary>
    public required IReadOnlyDictionary<string, long> RowCounts { get; init; }
}
