namespace BackupTools;

/// <summary>
/// Get-BackupStatus of a log series' long-running archiver (Push-MySqlBinlog -Watch, Push-PostgresWal -Watch,
/// Receive-PostgresWal), from its heartbeat in the repository. State: Running (beat within StaleAfter), Stale (no beat
/// since LastBeat: killed or hung) or Stopped (stopped cleanly at StoppedAt). A series without a heartbeat has none.
/// </summary>
public sealed class ArchiverStatus
{
    public required string State { get; init; }
    public required string Host { get; init; }
    public required int Pid { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset LastBeat { get; init; }
    /// <summary>Since the last heartbeat (at status time).</summary>
    public required TimeSpan HeartbeatAge { get; init; }
    /// <summary>How old a heartbeat may get (three of the archiver's intervals plus 10 s).</summary>
    public required TimeSpan StaleAfter { get; init; }
    public string? Position { get; init; }
    public DateTimeOffset? StoppedAt { get; init; }

    public override string ToString() => $"{State} ({Host}, pid {Pid}, last beat {LastBeat:u})";
}
