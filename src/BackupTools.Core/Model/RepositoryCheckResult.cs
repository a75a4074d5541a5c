namespace BackupTools;

/// <summary>Outcome of Test-BackupIntegrity -Repository on a format-2 repository: index ↔ packs ↔ manifests, and the packs read.</summary>
public sealed class RepositoryCheckResult
{
    public required string Repository { get; init; }
    public required bool Passed { get; init; }
    public required IReadOnlyList<IntegrityCheck> Checks { get; init; }
    public required int IndexFiles { get; init; }
    public required int Packs { get; init; }
    /// <summary>Packs whose every blob was read and checked (-ReadData / -ReadDataSubset); 0 for the quick check.</summary>
    public required int PacksRead { get; init; }
    public required long BytesRead { get; init; }
    /// <summary>The subset read, as given (e.g. "3/10", "5%"), "all" for -ReadData, null for the quick check.</summary>
    public string? Subset { get; init; }
    public required TimeSpan Duration { get; init; }
    public string? FailedCheck => Checks.FirstOrDefault(c => !c.Passed)?.Name;
}
