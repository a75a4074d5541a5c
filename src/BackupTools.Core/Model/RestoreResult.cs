namespace BackupTools;

/// <summary>What Restore-Cell did: the chain applied, where, and the safety backup it took first.</summary>
public sealed class RestoreResult
{
    public required string Cell { get; init; }
    public required string Destination { get; init; }
    public required IReadOnlyList<string> Chain { get; init; }
    public required string RestoredId { get; init; }
    public required DateTimeOffset RestoredPointInTime { get; init; }
    public string? SafetyBackupId { get; init; }
    public required bool SafetyBackupSkipped { get; init; }
    public required bool ReplacedExistingData { get; init; }
    public required long Files { get; init; }
    public required long Bytes { get; init; }
    public required TimeSpan Duration { get; init; }
    public bool? HookSucceeded { get; set; }
    public string? HookOutput { get; set; }
    public string Status => HookSucceeded == false ? "RestoredHookFailed" : "Restored";
}
