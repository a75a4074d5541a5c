using System.Text.Json;
using System.Text.Json.Serialization;
using BackupTools.Core.Operations;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>
/// archivers/&lt;cell&gt;/&lt;engine&gt;.json: the heartbeat of a long-running log archiver (Push-MySqlBinlog -Watch,
/// Push-PostgresWal -Watch, Receive-PostgresWal), rewritten every interval with its host, pid and position. Mutable
/// state, so beside verifications/ and locks/, never under backups/. Get-BackupStatus tells from it whether the archiver
/// runs; an age past StaleAfter means it was killed or hangs, a StoppedAt that it was stopped.
/// </summary>
public static class ArchiverHeartbeats
{
    public const string Prefix = "archivers/";
    private const string Suffix = ".json";

    public static string Key(string cell, string engine) => $"{Prefix}{cell}/{engine}{Suffix}";

    /// <summary>How old a heartbeat may get before the archiver counts as down: three intervals plus 10 s of slack for a slow push.</summary>
    public static TimeSpan StaleAfter(TimeSpan interval) => interval * 3 + TimeSpan.FromSeconds(10);

    public static void Write(BackupRepository repository, ArchiverHeartbeat beat) =>
        repository.Store.Replace(Key(beat.Cell, beat.Engine), RepositoryJson.Serialize(beat));

    /// <summary>Every readable heartbeat (a damaged one is skipped: status then says the archiver never ran).</summary>
    public static IReadOnlyList<ArchiverHeartbeat> ReadAll(BackupRepository repository)
    {
        var beats = new List<ArchiverHeartbeat>();
        foreach (var key in repository.Store.List(Prefix).Where(k => k.EndsWith(Suffix, StringComparison.Ordinal)).ToList())
        {
            try
            {
                using var stream = repository.Store.OpenRead(key);
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                if (RepositoryJson.Deserialize<ArchiverHeartbeat>(buffer.ToArray()) is { } beat && key == Key(beat.Cell, beat.Engine)) beats.Add(beat);
            }
            catch (Exception e) when (e is JsonException or StoreObjectNotFoundException) { }
        }
        return beats;
    }
}

public sealed record ArchiverHeartbeat
{
    [JsonPropertyName("cell")] public required string Cell { get; init; }
    [JsonPropertyName("engine")] public required string Engine { get; init; }
    [JsonPropertyName("host")] public required string Host { get; init; }
    [JsonPropertyName("pid")] public required int Pid { get; init; }
    [JsonPropertyName("startedAt")] public required DateTimeOffset StartedAt { get; init; }
    [JsonPropertyName("beatAt")] public required DateTimeOffset BeatAt { get; init; }
    [JsonPropertyName("intervalSeconds")] public required double IntervalSeconds { get; init; }
    /// <summary>Where the archiver stands, in its log's terms (binlog file:offset, newest WAL file).</summary>
    [JsonPropertyName("position")] public string? Position { get; init; }
    /// <summary>Set by a clean stop (Ctrl+C); a killed archiver leaves it null and its beat goes stale.</summary>
    [JsonPropertyName("stoppedAt")] public DateTimeOffset? StoppedAt { get; init; }
}

/// <summary>
/// The archiver's side: Beat after each round (at most once per interval is written by callers that loop on it), Stopped on a
/// clean exit. A failed write (a read-only mount, a bucket policy without archivers/) is one warning, never a failed archive.
/// </summary>
public sealed class ArchiverHeartbeatWriter(BackupRepository repository, string cell, string engine, TimeSpan interval, IOperationObserver observer)
{
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private bool _warned;

    public void Beat(string? position) => Write(position, null);

    public void Stopped(string? position) => Write(position, DateTimeOffset.UtcNow);

    private void Write(string? position, DateTimeOffset? stoppedAt)
    {
        var beat = new ArchiverHeartbeat
        {
            Cell = cell, Engine = engine, Host = Environment.MachineName, Pid = Environment.ProcessId, StartedAt = _started,
            BeatAt = DateTimeOffset.UtcNow, IntervalSeconds = interval.TotalSeconds, Position = position, StoppedAt = stoppedAt,
        };
        try { ArchiverHeartbeats.Write(repository, beat); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Errors.BackupToolsException)
        {
            if (_warned) return;
            _warned = true;
            observer.Warning($"The archiver's heartbeat could not be written to {repository.Location} ({e.Message}); Get-BackupStatus will call it stale.");
        }
    }
}
