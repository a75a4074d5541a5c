namespace BackupTools;

/// <summary>One source of a whole-cell restore: which backup was (or would be) restored, and how it ended.</summary>
public sealed class CellRestoreItem
{
    public required string Source { get; init; }
    public required string Kind { get; init; }
    public string? BackupId { get; init; }
    public DateTimeOffset? BackupCompletedAt { get; init; }
    /// <summary>Where it goes: a database URL or a path.</summary>
    public required string Destination { get; init; }
    /// <summary>How the source reaches the restore point: the log replay on top of the backup, or the backup as it is.</summary>
    public string? Recovery { get; init; }
    /// <summary>Planned (-WhatIf), Restored, Failed, NotRestored (a failure stopped the restore before it).</summary>
    public required string Status { get; set; }
    public string? SafetyBackupId { get; set; }
    /// <summary>The engine's own restore result (the same object its Restore-* cmdlet writes), once restored.</summary>
    public RestoreOutcome? Outcome { get; set; }
    public string? ErrorId { get; set; }
    public string? Error { get; set; }
    public TimeSpan Duration { get; set; }
}

public sealed record HealthCheckResult(string Name, bool Passed, string Detail, TimeSpan Duration);

/// <summary>Restore-Cell -Plan's report: every source in restore order with its backup and outcome, the health checks, and the achieved RPO/RTO.</summary>
public sealed class CellRestoreReport
{
    public required string Cell { get; init; }
    public DateTimeOffset? At { get; init; }
    public string? Site { get; init; }
    public required CellRestoreItem[] Items { get; init; }
    public required HealthCheckResult[] HealthChecks { get; set; }
    public bool Succeeded => Items.All(i => (i.Status is "Restored" or "Planned") && i.Outcome?.HookSucceeded != false) && HealthChecks.All(h => h.Passed);
    /// <summary>Age of the oldest data restored, at the moment the restore finished (the achieved RPO).</summary>
    public TimeSpan? DataAge { get; set; }
    public TimeSpan Duration { get; set; }

    public override string ToString() => $"{Cell}: " + string.Join(", ", Items.Select(i => $"{i.Source} {i.Status}"));
}
