using System.Diagnostics;
using System.Text;
using BackupTools.Core.Audit;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.MySqlPitr;

/// <summary>
/// Continuous binlog archiving. A streamer (mariadb-binlog --read-from-remote-server --raw, with --stop-never when
/// watching) copies the server's binlog byte for byte into the spool over the replication protocol; every
/// Interval the spool is pushed (BinlogPushOperation). It resumes where the archive ends: the streamer starts
/// again at the newest archived file (the pusher skips the bytes it already has), so a killed archiver loses
/// nothing the server still has. When the server is gone (restart) the streamer is started again after the
/// interval; a file the server purged before it was archived becomes a gap in the archive's report.
/// </summary>
public sealed class BinlogArchiver(IOperationObserver observer)
{
    /// <summary>Runs until the server's current end (not Watch) or until cancelled (Watch); yields each push that wrote something.</summary>
    public IEnumerable<BinlogPushResult> Run(BinlogArchiveRequest request, CancellationToken cancel)
    {
        BackupId.ValidateCellName(request.Cell);
        System.IO.Directory.CreateDirectory(request.Spool);
        using var opened = new OperationRepository(request.Repository);
        var repository = opened.Get();
        var archive = new BinlogArchive(repository.ListManifests(observer, cancel), request.Cell);
        var streamerPath = LocateStreamer(request.ToolPath);
        var push = new BinlogPushOperation(observer);
        // Only the long-running archiver beats: Get-BackupStatus tells from it whether -Watch still runs.
        var heartbeat = request.Watch ? new ArchiverHeartbeatWriter(repository, request.Cell, BinlogArchive.EngineName, request.Interval, observer) : null;
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                heartbeat?.Beat(Position(archive));
                var start = StartFile(request, archive);
                using var defaults = new PrivateTempFile(request.Target.DefaultsFileContent(), ".cnf");
                using var streamer = Streamer.Start(streamerPath, defaults.FilePath, request.Spool, start, request.Watch);
                observer.Verbose($"Streaming the binlog of {request.Target} from {start} into {request.Spool}.");
                while (WaitHandle.WaitAny([streamer.Exited, cancel.WaitHandle], request.Watch ? request.Interval : Timeout.InfiniteTimeSpan) == WaitHandle.WaitTimeout)
                {
                    var result = PushAudited(push, opened, archive, request, cancel);
                    heartbeat?.Beat(Position(archive));
                    if (result.BatchId != null) yield return result;
                }
                streamer.Stop();
                // What the streamer wrote before it stopped is pushed even when cancelled: nothing is left only in the spool that we could ship.
                if (PushAudited(push, opened, archive, request, CancellationToken.None) is { BatchId: not null } last) yield return last;
                if (!request.Watch)
                {
                    if (streamer.ExitCode != 0) throw streamer.Failure();
                    yield break;
                }
                if (streamer.HasExited && !cancel.IsCancellationRequested)
                    observer.Warning($"The binlog streamer stopped ({streamer.Failure().Message}); starting it again in {request.Interval.TotalSeconds:0} s.");
                cancel.WaitHandle.WaitOne(request.Interval);
            }
        }
        finally
        {
            heartbeat?.Stopped(Position(archive));
        }
    }

    /// <summary>The heartbeat's position: the newest archived file and how far it is archived.</summary>
    private static string? Position(BinlogArchive archive) => archive.Files.LastOrDefault() is { } file ? $"{file}:{archive.EndOf(file)}" : null;

    private BinlogPushResult PushAudited(BinlogPushOperation push, OperationRepository opened, BinlogArchive archive, BinlogArchiveRequest request, CancellationToken cancel)
    {
        var result = OperationAudit.Run(opened, new AuditSubject("binlog-push", request.Cell, BinlogArchive.EngineName, request.Target.ToString()), observer,
            () => push.Push(opened.Get(), archive, request, cancel),
            r => r.BatchId is null ? null : new AuditOutcome([r.BatchId], string.Join(", ", r.Segments.Select(s => $"{s.File} {s.Start}..{s.End}"))));
        foreach (var gap in result.Gaps) observer.Warning($"Binlog archive of '{request.Cell}' has a gap: {gap}.");
        return result;
    }

    /// <summary>
    /// The file to stream from: the newest one archived (unless it is closed: then the next), else -StartFile, else the
    /// server's oldest. A file the server no longer has is skipped to its oldest — the archive then shows the gap.
    /// </summary>
    private string StartFile(BinlogArchiveRequest request, BinlogArchive archive)
    {
        List<string> onServer;
        using (var connection = MySqlInspector.Open(request.Target, null))
            onServer = MySqlInspector.Query(connection, "show binary logs", r => r.GetString(0)).ToList();
        if (onServer.Count == 0)
            throw new BackupInputException("MySqlBinlogOff", "Server", $"{request.Target} has no binary log.", "Start the server with --log-bin (and --server-id) to archive its binlog.");
        var newest = archive.Files.LastOrDefault();
        var wanted = newest is null ? request.StartFile ?? onServer[0] : archive.IsClosed(newest) ? BinlogFileName.Next(newest) : newest;
        if (onServer.Contains(wanted)) return wanted;
        // The file after a closed one may not exist yet on a server that was just stopped; anything newer on it is the next.
        var later = onServer.FirstOrDefault(f => BinlogFileName.Compare(f, wanted) > 0);
        if (later is null) return onServer[^1];
        if (newest != null && !(archive.IsClosed(newest) && later == BinlogFileName.Next(newest)))
            observer.Warning($"{wanted} is no longer on {request.Target} (purged before it was archived); archiving continues at {later}.");
        return later;
    }

    public static string LocateStreamer(string? toolPath)
    {
        var client = MySqlTools.Locate(toolPath).Client;
        foreach (var name in new[] { "mariadb-binlog", "mysqlbinlog" })
        {
            var path = Path.Combine(Path.GetDirectoryName(client) ?? "", name);
            if (File.Exists(path)) return path;
        }
        throw new BackupToolsException("MySqlBinlogToolNotFound", FailureKind.NotFound, $"No mariadb-binlog or mysqlbinlog beside {client}.",
            "Install the client tools (apt-get install mariadb-client) or pass -ToolPath.");
    }

    /// <summary>The mariadb-binlog child process; its password comes from the private defaults file, never argv.</summary>
    private sealed class Streamer : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stderr = new();

        private Streamer(Process process)
        {
            _process = process;
            Exited = new ManualResetEvent(false);
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) => Exited.Set();
            process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_stderr) _stderr.AppendLine(e.Data); };
            process.BeginErrorReadLine();
            if (process.HasExited) Exited.Set();
        }

        public ManualResetEvent Exited { get; }
        public bool HasExited => _process.HasExited;
        public int ExitCode => _process.HasExited ? _process.ExitCode : 0;

        public static Streamer Start(string executable, string defaultsFile, string spool, string startFile, bool forever)
        {
            var info = new ProcessStartInfo(executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { $"--defaults-extra-file={defaultsFile}", "--read-from-remote-server", "--raw", "--to-last-log",
                         $"--result-file={spool.TrimEnd('/')}/" }) info.ArgumentList.Add(a);
            if (forever) info.ArgumentList.Add("--stop-never");
            info.ArgumentList.Add(startFile);
            var process = Process.Start(info) ?? throw new BackupToolsException("ExternalToolFailed", FailureKind.ExternalToolFailure, $"{executable} did not start.");
            process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            return new Streamer(process);
        }

        public Exception Failure()
        {
            string tail;
            lock (_stderr) tail = _stderr.ToString().Trim();
            return new BackupToolsException("MySqlBinlogStreamFailed", FailureKind.ExternalToolFailure,
                $"mariadb-binlog exited with code {ExitCode}: {(tail.Length > 2000 ? tail[^2000..] : tail)}");
        }

        public void Stop()
        {
            try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            _process.WaitForExit();
        }

        public void Dispose()
        {
            Stop();
            _process.Dispose();
            Exited.Dispose();
        }
    }
}
