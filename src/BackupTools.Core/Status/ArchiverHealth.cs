using BackupTools.Core.Repository;

namespace BackupTools.Core.Status;

/// <summary>A log series' archiver from its heartbeat (archivers/&lt;cell&gt;/&lt;engine&gt;.json): running, stale or stopped.</summary>
public static class ArchiverHealth
{
    public const string Running = "Running", Stale = "Stale", Stopped = "Stopped";

    /// <summary>The archiver of <paramref name="newest"/>'s series (same cell and engine); null when none ever beat.</summary>
    public static ArchiverStatus? Of(IReadOnlyList<ArchiverHeartbeat> heartbeats, BackupManifest newest, DateTimeOffset now)
    {
        var beat = heartbeats.FirstOrDefault(h => h.Engine == newest.Engine && string.Equals(h.Cell, newest.Cell, StringComparison.OrdinalIgnoreCase));
        if (beat is null) return null;
        var age = now - beat.BeatAt;
        var staleAfter = ArchiverHeartbeats.StaleAfter(TimeSpan.FromSeconds(beat.IntervalSeconds));
        return new ArchiverStatus
        {
            State = beat.StoppedAt != null ? Stopped : age > staleAfter ? Stale : Running,
            Host = beat.Host, Pid = beat.Pid, StartedAt = beat.StartedAt, LastBeat = beat.BeatAt, HeartbeatAge = age < TimeSpan.Zero ? TimeSpan.Zero : age,
            StaleAfter = staleAfter, Position = beat.Position, StoppedAt = beat.StoppedAt,
        };
    }

    public static IEnumerable<string> Warnings(ArchiverStatus? archiver, string engine)
    {
        switch (archiver?.State)
        {
            case Stale:
                yield return $"the {engine} archiver on {archiver.Host} (pid {archiver.Pid}) has not beaten since {archiver.LastBeat:u} " +
                    $"({BackupStatusEvaluator.Describe(archiver.HeartbeatAge)} ago, limit {BackupStatusEvaluator.Describe(archiver.StaleAfter)}): it was killed or hangs; the archive falls behind";
                break;
            case Stopped:
                yield return $"the {engine} archiver on {archiver.Host} (pid {archiver.Pid}) stopped at {archiver.StoppedAt:u}; the archive falls behind until it runs again";
                break;
        }
    }
}
