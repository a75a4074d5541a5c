namespace BackupTools.Core.Alerts;

public enum AlertOutcome { Succeeded, Warning, Failed }

/// <summary>
/// One thing worth telling someone about: a finished backup, a verification, a status check or an error.
/// Step/Source/ErrorId/Error say why a run failed, not only that it did.
/// </summary>
public sealed record AlertEvent
{
    public required AlertOutcome Outcome { get; init; }
    /// <summary>backup, integrity, status or error.</summary>
    public required string Kind { get; init; }
    /// <summary>The cmdlet or activity that produced it (e.g. Backup-Postgres).</summary>
    public string? Step { get; init; }
    /// <summary>What it was about: database, directory, backup id.</summary>
    public string? Source { get; init; }
    public string? Cell { get; init; }
    public string? BackupId { get; init; }
    public string? ErrorId { get; init; }
    public string? Error { get; init; }
    public string? RecommendedAction { get; init; }
    public required string Summary { get; init; }
    public DateTimeOffset Time { get; init; } = DateTimeOffset.UtcNow;

    public bool IsFailure => Outcome == AlertOutcome.Failed;
}

/// <summary>A status object (Get-BackupStatus) reduced to what an alert needs.</summary>
public sealed record StatusSnapshot(string? Cell, string? Engine, string? Source, bool Healthy, IReadOnlyList<string> Warnings, DateTimeOffset? LastSuccess);

/// <summary>An error (PowerShell ErrorRecord or exception) reduced to what an alert needs.</summary>
public sealed record ErrorSnapshot(string? Step, string? Source, string ErrorId, string Message, string? RecommendedAction);
