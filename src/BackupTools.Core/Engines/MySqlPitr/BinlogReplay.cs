using System.Globalization;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.MySqlPitr;

/// <summary>
/// Replay the binlog archive of Cell on top of a restored dump, up to StopAt (exclusive, whole seconds) or through StopGtid;
/// neither: to the end of the archive (a plan's physical source restored without -At).
/// </summary>
public sealed record BinlogReplayTarget(string Cell, DateTimeOffset? StopAt, string? StopGtid)
{
    public string Describe() => StopGtid is { } g ? $"through GTID {g}" : StopAt is { } at ? $"to {at:yyyy-MM-dd HH:mm:ss} UTC" : "to the end of the archive";

    /// <summary>The replay the restore cmdlets' -BinlogCell/-At/-Gtid ask for (null: none), or the error naming the parameter that is wrong.</summary>
    public static BinlogReplayTarget? From(string? binlogCell, DateTimeOffset? at, string? gtid)
    {
        if (binlogCell is null)
        {
            if (gtid != null) throw new BackupInputException("MySqlGtidWithoutBinlog", "Gtid", "needs -BinlogCell (the archive to replay).", "Add -BinlogCell <cell of Push-MySqlBinlog>.");
            return null;
        }
        if (gtid != null && !Gtid.TryParse(gtid, out _))
            throw new BackupInputException("MySqlGtidInvalid", "Gtid", $"'{gtid}' is not a GTID.", "Use domain-server-sequence, e.g. 0-1-42.");
        if (gtid is null && at is null)
            throw new BackupInputException("MySqlReplayTargetMissing", "At", "-BinlogCell needs -At (a moment) or -Gtid.", "Say where the replay stops.");
        return new BinlogReplayTarget(binlogCell, gtid is null ? at : null, gtid);
    }
}

/// <summary>
/// Point in time for Restore-MySql: the archived binlog from the dump's recorded coordinates (file/position, or its
/// GTID set for a GTID target) up to the target, staged and checked (BinlogStaging), decoded by mariadb-binlog with
/// only the restored database's events, renamed to the staging database, and applied there. The dump's GTID
/// assignments are dropped so the replay gets fresh GTIDs on this server instead of reusing the original ones.
/// </summary>
public static class BinlogReplay
{
    public static string Plan(BackupRepository repository, BackupManifest dump, BinlogReplayTarget replay, IOperationObserver observer) =>
        Range(repository, dump, replay, observer, out _, out _);

    public static string Apply(BackupRepository repository, BackupManifest dump, BackupKeyRing? keys, MySqlTarget target, MySqlTools tools,
        string database, string staging, BinlogReplayTarget replay, IOperationObserver observer, CancellationToken cancel)
    {
        using var defaults = new PrivateTempFile(target.DefaultsFileContent(), ".cnf");
        return Replay(repository, dump, keys, tools.Client, defaults.FilePath, [$"--database={database}", $"--rewrite-db={database}->{staging}"], staging, replay, observer, cancel);
    }

    /// <summary>
    /// Every database's events (a physical backup is the whole server) from the backup's coordinates up to the target, applied
    /// through <paramref name="client"/> with the connection in <paramref name="defaultsFile"/> (a temporary server's socket).
    /// </summary>
    public static string ApplyToServer(BackupRepository repository, BackupManifest backup, BackupKeyRing? keys, string client, string defaultsFile,
        BinlogReplayTarget replay, IOperationObserver observer, CancellationToken cancel) =>
        Replay(repository, backup, keys, client, defaultsFile, [], null, replay, observer, cancel);

    private static string Replay(BackupRepository repository, BackupManifest dump, BackupKeyRing? keys, string client, string defaultsFile,
        IReadOnlyList<string> filter, string? intoDatabase, BinlogReplayTarget replay, IOperationObserver observer, CancellationToken cancel)
    {
        var range = Range(repository, dump, replay, observer, out var archive, out var files);
        var folder = Path.Combine(Path.GetTempPath(), "bt-binlog-" + Guid.NewGuid().ToString("N"));
        try
        {
            var staged = BinlogStaging.Stage(repository, archive, files, keys, folder, cancel);
            var decoded = Path.Combine(folder, "replay.sql");
            var arguments = new List<string> { "--no-defaults" };
            arguments.AddRange(filter);
            if (replay.StopGtid is { } gtid)
            {
                arguments.Add($"--start-position={dump.EngineInfo?["gtidSet"]?.GetValue<string>()}");
                arguments.Add($"--stop-position={gtid}");
            }
            else
            {
                arguments.Add($"--start-position={dump.EngineInfo!["binlogPosition"]!.GetValue<long>()}");
                if (replay.StopAt is { } stopAt)
                    arguments.Add($"--stop-datetime={stopAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}");
            }
            arguments.AddRange(staged);
            using (var output = new FileStream(decoded, FileMode.CreateNew))
                ExternalTool.Run(BinlogArchiver.LocateStreamer(Path.GetDirectoryName(client)), arguments, new Dictionary<string, string> { ["TZ"] = "UTC" }, output, null, cancel);
            var filtered = decoded + ".filtered";
            File.WriteAllLines(filtered, File.ReadLines(decoded).Where(line => !IsGtidAssignment(line)));
            using var input = File.OpenRead(filtered);
            var clientArguments = new List<string> { $"--defaults-extra-file={defaultsFile}", "--binary-mode" };
            if (intoDatabase != null) clientArguments.Add(intoDatabase);
            ExternalTool.Run(client, clientArguments, new Dictionary<string, string> { ["MYSQL_PWD"] = "" }, null, input, cancel);
            return range;
        }
        finally
        {
            try { System.IO.Directory.Delete(folder, true); } catch (IOException) { }
        }
    }

    /// <summary>`SET @@session.gtid_seq_no=…` and friends: replaying them would give the replay the original GTIDs again.</summary>
    private static bool IsGtidAssignment(string line) =>
        line.StartsWith("/*M!100001 SET @@session.gtid_", StringComparison.Ordinal) || line.StartsWith("/*M!100001 SET @@session.server_id=", StringComparison.Ordinal);

    private static string Range(BackupRepository repository, BackupManifest dump, BinlogReplayTarget replay, IOperationObserver observer,
        out BinlogArchive archive, out List<string> files)
    {
        var file = dump.EngineInfo?["binlogFile"]?.GetValue<string>();
        var position = dump.EngineInfo?["binlogPosition"]?.GetValue<long>();
        if (file is null || position is null)
            throw new BackupInputException("MySqlBinlogPositionUnknown", "At", $"Backup {dump.Id} recorded no binlog position (the server's binlog was off when it was taken).",
                "Pick a backup taken with the binlog on (-Id), or restore without -BinlogCell.");
        archive = new BinlogArchive(repository.ListManifests(observer), replay.Cell);
        files = archive.Files.Where(f => BinlogFileName.Compare(f, file) >= 0).ToList();
        if (files.Count == 0 || files[0] != file)
            throw new BackupIntegrityException("MySqlBinlogGap", $"The binlog archive of '{replay.Cell}' does not hold {file}, where backup {dump.Id} was taken; the replay cannot start.");
        var inRange = files.ToHashSet(StringComparer.Ordinal);
        var gaps = archive.Gaps().Where(g => inRange.Contains(g.Before)).ToList();
        if (gaps.Count > 0)
            throw new BackupIntegrityException("MySqlBinlogGap", $"The binlog archive of '{replay.Cell}' has a gap after backup {dump.Id}: {gaps[0]}.");
        if (replay.StopAt is { } at && !(archive.NewestEvent >= at.AddSeconds(-1)))
            throw new BackupInputException("MySqlBinlogNotCovering", "At",
                $"The binlog archive of '{replay.Cell}' ends at {archive.NewestEvent:O}, before {at:O}.", "Check that Push-MySqlBinlog is running, or pick an earlier -At.");
        var last = archive.SegmentsOf(files[^1]).Max(s => s.Segment.End);
        return $"{file}:{position} … {files[^1]}:{last} {replay.Describe()}";
    }
}
