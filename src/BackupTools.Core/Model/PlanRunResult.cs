namespace BackupTools;

/// <summary>
/// Invoke-BackupPlan's report for one source of one cell: the backup it made (or the step that failed and
/// why), whether it verified, and where it was copied.
/// </summary>
public sealed class PlanSourceResult
{
    public required string Cell { get; init; }
    public required string Source { get; init; }
    public required string Kind { get; init; }
    public bool Succeeded => FailedStep is null;
    /// <summary>backup, verify, copy:&lt;target&gt; — the first step that failed; null when all passed.</summary>
    public string? FailedStep { get; init; }
    public string? ErrorId { get; init; }
    public string? Error { get; init; }
    public BackupRecord? Record { get; init; }
    public string? BackupId => Record?.Id;
    public bool? Verified { get; init; }
    public required string[] CopiedTo { get; init; }
    public required TimeSpan Duration { get; init; }

    public override string ToString() => Succeeded ? $"{Cell}/{Source}: {BackupId}" : $"{Cell}/{Source}: {FailedStep} failed: {Error}";
}

/// <summary>The whole run: what was backed up, and exactly what failed (cell/source, step, error).</summary>
public sealed class PlanRunSummary
{
    public required string Plan { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required TimeSpan Duration { get; init; }
    public required int Sources { get; init; }
    public required int Succeeded { get; init; }
    public int Failed => Failures.Length;
    /// <summary>"crm/db backup: PostgresAuthenticationFailed: …", one per failed step (sources, retention, metrics, alerts).</summary>
    public required string[] Failures { get; init; }
    public required int BackupsDeleted { get; init; }
    public string? MetricsPath { get; init; }
    public bool Healthy => Failures.Length == 0;

    public override string ToString() => Healthy ? $"{Plan}: {Succeeded}/{Sources} sources backed up" : $"{Plan}: {Failures.Length} failure(s): {string.Join("; ", Failures)}";
}
