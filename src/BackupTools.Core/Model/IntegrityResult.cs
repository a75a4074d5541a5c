namespace BackupTools;

public sealed record IntegrityCheck(string Name, bool Passed, string Detail)
{
    public override string ToString() => $"{(Passed ? "ok" : "FAILED")} {Name}: {Detail}";
}

/// <summary>Outcome of Test-BackupIntegrity for one backup, with each check named.</summary>
public sealed class IntegrityResult
{
    public required string Id { get; init; }
    public BackupRecord? Record { get; init; }
    public required bool Passed { get; init; }
    public required IReadOnlyList<IntegrityCheck> Checks { get; init; }
    public required TimeSpan Duration { get; init; }
    /// <summary>With -RestoreTest: how long the test restore took (a measured RTO).</summary>
    public TimeSpan? RestoreDuration { get; init; }
    public string? FailedCheck => Checks.FirstOrDefault(c => !c.Passed)?.Name;
    public string Repository => Record?.Repository ?? "";
}
