namespace BackupTools;

/// <summary>One cell of a failover: its restore report, and the achieved RPO/RTO against the plan's targets.</summary>
public sealed class FailoverCellResult
{
    public required string Cell { get; init; }
    public required CellRestoreReport? Report { get; init; }
    /// <summary>Age of the oldest data restored for the cell (achieved RPO).</summary>
    public TimeSpan? DataAge { get; init; }
    /// <summary>Time from the start of the failover until this cell was restored and checked (achieved RTO).</summary>
    public required TimeSpan Elapsed { get; init; }
    public TimeSpan? RpoTarget { get; init; }
    public TimeSpan? RtoTarget { get; init; }
    public bool? RpoMet => RpoTarget is { } rpo && DataAge is { } age ? age <= rpo : null;
    public bool? RtoMet => RtoTarget is { } rto ? Elapsed <= rto : null;
    public string? Error { get; init; }
    public bool Succeeded => Error is null && Report?.Succeeded == true;
}

/// <summary>Invoke-DrFailover / Invoke-DrFailback: what was synced, restored and checked, the traffic switch, and RPO/RTO.</summary>
public sealed class FailoverResult
{
    public required string Direction { get; init; }
    public required string Site { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public int BackupsSynced { get; init; }
    public required FailoverCellResult[] Cells { get; init; }
    /// <summary>The traffic-switch hook: null when not run (none configured, or a step before it failed).</summary>
    public int? SwitchExitCode { get; init; }
    public string? SwitchOutput { get; init; }
    public required TimeSpan Duration { get; init; }
    public string? StoppedBecause { get; init; }
    public bool Succeeded => StoppedBecause is null && Cells.All(c => c.Succeeded) && SwitchExitCode is null or 0;
    public TimeSpan? WorstDataAge => Cells.Select(c => c.DataAge).Where(a => a != null).Max();

    public override string ToString() => $"{Direction} to {Site}: {(Succeeded ? "succeeded" : "FAILED: " + StoppedBecause)} in {Duration.TotalSeconds:0.#} s";
}
