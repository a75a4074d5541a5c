namespace BackupTools;

/// <summary>What Sync-BackupRepository did with one backup of the source.</summary>
public enum SyncAction
{
    /// <summary>Copied to the destination (objects hash-checked, manifest written last).</summary>
    Copied,
    /// <summary>Already at the destination with the same objects; nothing written.</summary>
    Skipped,
    /// <summary>Not copied; Error says why. The destination holds no manifest for it.</summary>
    Failed,
    /// <summary>The destination's copy was damaged (re-read on a repairing pull) and was fetched again.</summary>
    Repaired,
}

/// <summary>
/// Sync-BackupRepository's report for one backup. Bytes counts what was transferred in this run; objects a
/// resumed run found already complete at the destination count as ReusedBytes. Id and Repository (the
/// destination) bind by property name, so results pipe into Test-BackupIntegrity to check the copies.
/// </summary>
public sealed record SyncResult
{
    public required string Id { get; init; }
    public required string Cell { get; init; }
    public required BackupKind Kind { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required SyncAction Action { get; init; }
    public long Bytes { get; init; }
    public long ReusedBytes { get; init; }
    public TimeSpan Duration { get; init; }
    public required string Source { get; init; }
    public required string Destination { get; init; }
    public string? ErrorId { get; init; }
    public string? Error { get; init; }
    public string Repository => Destination;

    public override string ToString() => $"{Id} {Action}{(Error is null ? "" : ": " + Error)}";
}
