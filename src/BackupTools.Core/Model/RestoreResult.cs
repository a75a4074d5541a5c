namespace BackupTools;

/// <summary>What Restore-Cell did: the chain applied, where, and the safety backup it took first.</summary>
public sealed class RestoreResult : RestoreOutcome
{
    public required IReadOnlyList<string> Chain { get; init; }
    public required bool ReplacedExistingData { get; init; }
    public required long Files { get; init; }
    public required long Bytes { get; init; }
}
