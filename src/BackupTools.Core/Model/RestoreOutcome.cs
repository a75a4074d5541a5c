namespace BackupTools;

/// <summary>
/// What every Restore-* result has in common, so `Restore-X | Send-BackupAlert`, `Format-Table RestoredId,
/// Destination, SafetyBackupId, Status` and scripts read any engine's result the same way. Engines add their own
/// facts (tables and rows, keys, objects…) in the subclass.
/// </summary>
public abstract class RestoreOutcome
{
    /// <summary>The manifest engine of the backup restored (postgres, mysql, redis-rdb, directory…).</summary>
    public required string Engine { get; init; }
    /// <summary>The backup's cell.</summary>
    public required string Cell { get; init; }
    /// <summary>The backup restored (for a chain, the restore point itself).</summary>
    public required string RestoredId { get; init; }
    public required DateTimeOffset RestoredPointInTime { get; init; }
    /// <summary>Where it was restored: a path, a database as a URI without password, a server, a bucket prefix, a command.</summary>
    public required string Destination { get; init; }
    /// <summary>The backup of the data this restore replaced (null: nothing replaced, or -SkipSafetyBackup).</summary>
    public string? SafetyBackupId { get; init; }
    public bool SafetyBackupSkipped { get; init; }
    public required TimeSpan Duration { get; init; }
    /// <summary>How the restored data was proven (null where the engine cannot read it back, e.g. a restore command).</summary>
    public string? Verification { get; init; }
    /// <summary>What went wrong without failing the restore (the same lines as the command's warnings).</summary>
    public IReadOnlyList<string> Warnings { get; set; } = [];
    /// <summary>The restore hook's outcome: null when none ran.</summary>
    public bool? HookSucceeded { get; set; }
    public string? HookOutput { get; set; }
    public string Status => HookSucceeded == false ? "RestoredHookFailed" : "Restored";

    public override string ToString() => $"{RestoredId} -> {Destination}";
}
