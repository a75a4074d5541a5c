using BackupTools.Core.Audit;
using System.Diagnostics;
using System.Net.Sockets;
using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Engines.Redis.Rdb;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// Replaces a Redis server's dataset with a backed-up snapshot without risking the current one: the snapshot is
/// staged next to the dump file and proven whole first, a safety backup of the live data is taken, then the
/// server is stopped, the file swapped in (owner and mode of the old one), the server started and its key
/// counts checked. If starting or the check fails, the previous data (the safety backup, else the previous file) is put back and
/// the server started again. That file swap is the fast path; a server whose files this machine cannot swap is
/// restored over the network instead (RedisRestoreOperation.Replay.cs).
/// </summary>
public sealed partial class RedisRestoreOperation(IOperationObserver observer)
{
    private const string Activity = "Restore-RedisRdb";

    public RedisRestoreResult? Run(RedisRestoreRequest request, CancellationToken cancel) =>
        OperationAudit.Run(request.Repository, new AuditSubject("restore", null, RedisBackupOperation.EngineName, request.Target.ToString()), observer,
            opened => RunUnaudited(opened, request, cancel),
            r => r is null ? null : new AuditOutcome(r.SafetyBackupId is { } safety ? [r.RestoredId, safety] : [r.RestoredId],
                $"restored into {r.Server} ({r.Keys} keys){(r.SafetyBackupId is { } s ? $"; safety backup {s}" : r.SafetyBackupSkipped ? "; safety backup skipped" : "")}"));

    private RedisRestoreResult? RunUnaudited(OperationRepository opened, RedisRestoreRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var target = request.Target;
        var repository = opened.Get();
        var manifest = repository.GetManifest(request.Id);
        if (manifest.Engine != RedisBackupOperation.EngineName)
            throw new BackupInputException("RestoreWrongEngine", "Id", $"backup {manifest.Id} is a {manifest.Engine} backup, not a Redis snapshot.", "Use the Restore- cmdlet for that engine.");

        string path;
        Action start;
        using (var inspector = RedisInspector.Open(target))
        {
            var blocker = FileSwapBlocker(inspector, request);
            if (blocker != null && request.Method == RedisRestoreMethod.FileSwap) throw blocker;
            if (blocker != null || request.Method == RedisRestoreMethod.Replay)
            {
                if (blocker != null) observer.Verbose($"Restoring over the network: {blocker.Message}");
                if (!request.ShouldProcess(target.Describe(), $"Replace all data with backup {manifest.Id} ({manifest.CompletedAt:u}) over the network: load it into a scratch server, empty the server, replay every key (DUMP/RESTORE)"))
                    return null;
                return RestoreByReplay(repository, manifest, request, cancel);
            }
            path = request.RdbPath ?? RedisServerFiles.DumpPath(inspector);
            start = request.StartServer ?? DefaultStart(inspector.Info("server"), target);
        }
        if (!request.ShouldProcess(target.Describe(), $"Replace all data (file {path}) with backup {manifest.Id} ({manifest.CompletedAt:u}); the server is stopped and started"))
            return null;

        var staged = $"{path}.bt-restore-{manifest.Id}.tmp";
        var previous = path + ".bt-previous";
        string? safetyId = null;
        try
        {
            Stage(repository, manifest, request, path, staged, cancel);
            if (!request.SkipSafetyBackup) safetyId = TakeSafetyBackup(repository, request, manifest.Id, cancel);
            else observer.Warning($"-SkipSafetyBackup: the data of {target} will be replaced without a safety backup.");

            observer.Progress(Activity, $"{target}: stopping the server", 0, null);
            (request.StopServer ?? (() => ShutdownNoSave(target)))();
            WaitStopped(target, request.StartTimeout, cancel);
            var hadFile = File.Exists(path);
            if (hadFile) File.Move(path, previous, overwrite: true);
            File.Move(staged, path);
            try
            {
                observer.Progress(Activity, $"{target}: starting the server", 0, null);
                var loaded = StartAndCount(start, target, request.StartTimeout, cancel);
                var (differences, expired) = RedisKeyCounts.Compare(RedisKeyCounts.Recorded(manifest), loaded);
                if (differences.Count > 0)
                    throw new BackupIntegrityException("RestoreVerificationFailed", $"The server loaded different key counts than the backup's manifest ({string.Join("; ", differences.Take(5))}).");
                if (hadFile) File.Delete(previous);
                return Result(request, manifest, RedisRestoreMethod.FileSwap, path, safetyId, loaded, expired, clock.Elapsed);
            }
            catch (Exception e) when (e is not OperationCanceledException || cancel.IsCancellationRequested)
            {
                throw RollBack(e, repository, safetyId, request, start, path, previous, hadFile);
            }
        }
        finally
        {
            if (File.Exists(staged)) File.Delete(staged);
        }
    }

    private static RedisRestoreResult Result(RedisRestoreRequest request, BackupManifest manifest, RedisRestoreMethod method, string path, string? safetyId,
        IReadOnlyList<RdbDatabase> loaded, long expired, TimeSpan duration) => new()
    {
        Server = $"{request.Target.Host}:{request.Target.Port}",
        RdbPath = path,
        Method = method,
        RestoredId = manifest.Id,
        RestoredPointInTime = manifest.CompletedAt,
        SafetyBackupId = safetyId,
        SafetyBackupSkipped = request.SkipSafetyBackup,
        Databases = loaded.Count,
        Keys = loaded.Sum(d => d.Keys),
        ExpiredKeys = expired,
        Duration = duration,
    };

    /// <summary>
    /// Why the dump file cannot be swapped here (null: it can). Only a loopback server, or one whose file and
    /// stop/start the caller named, is swapped: a path that merely exists here may be another host's.
    /// </summary>
    private static BackupToolsException? FileSwapBlocker(RedisInspector inspector, RedisRestoreRequest request)
    {
        var target = request.Target;
        var named = request.RdbPath != null || request.StopServer != null || request.StartServer != null;
        if (!named && !target.IsLoopback)
            return new BackupToolsException("RedisDataDirNotLocal", FailureKind.NotFound, $"{target} is not on this machine, so its dump file cannot be swapped here.",
                "Use -Method Replay (the default chooses it), or run Restore-RedisRdb on the server's host.");
        var path = request.RdbPath ?? RedisServerFiles.DumpPath(inspector);
        if (!System.IO.Directory.Exists(Path.GetDirectoryName(path)))
            return new BackupToolsException("RedisDataDirNotLocal", FailureKind.NotFound, $"The server's data directory '{Path.GetDirectoryName(path)}' is not on this machine.",
                "Use -Method Replay (the default chooses it), run Restore-RedisRdb on the server's host, or pass -RdbPath where its dump file is.");
        if (inspector.Info("persistence").GetValueOrDefault("aof_enabled") == "1")
            return new BackupToolsException("RedisRestoreAofEnabled", FailureKind.InvalidArgument,
                $"{target} has appendonly on: it would load its append-only file on start, not the restored snapshot.",
                "Use -Method Replay (the default chooses it), or turn appendonly off (CONFIG SET appendonly no, and in the config file), restore, then turn it back on.");
        if (request.StartServer is null)
        {
            try { DefaultStart(inspector.Info("server"), target); }
            catch (BackupInputException e) { return e; }
        }
        return null;
    }

    /// <summary>Decrypts the snapshot next to the live file (same filesystem, so the swap is a rename), proving it whole on the way.</summary>
    private void Stage(BackupRepository repository, BackupManifest manifest, RedisRestoreRequest request, string path, string staged, CancellationToken cancel)
    {
        observer.Verbose($"Staging backup {manifest.Id} as {staged}.");
        using (var file = new FileStream(staged, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using var data = repository.OpenObject(manifest, BackupManifest.DataRole, request.Keys);
            try
            {
                DamagedBackupCheck.Load(manifest, data, () => SnapshotPipe.Run(data, file, checksum: true, cancel), cancel);
            }
            catch (RdbFormatException e) // the stream's hashes held: the snapshot was bad when it was backed up
            {
                throw new BackupIntegrityException("RedisRdbInvalid", $"Backup {manifest.Id} is not a whole RDB snapshot: it {e.Message}; the server was not touched.");
            }
            file.Flush(flushToDisk: true);
        }
        if (File.Exists(path))
        {
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(staged, File.GetUnixFileMode(path));
            var owner = UnixFileStat.Get(path);
            if (UnixFileStat.IsRoot) UnixFileStat.SetOwner(staged, owner.Uid, owner.Gid);
        }
        else if (UnixFileStat.IsRoot)
        {
            var owner = UnixFileStat.Get(Path.GetDirectoryName(path)!);
            UnixFileStat.SetOwner(staged, owner.Uid, owner.Gid);
        }
    }

    private string TakeSafetyBackup(BackupRepository repository, RedisRestoreRequest request, string restoringId, CancellationToken cancel)
    {
        observer.Verbose($"Taking a safety backup of {request.Target} before replacing its data.");
        using var writerLock = WriterLock.AcquireShared(repository, $"Restore-RedisRdb {request.Target.Host}:{request.Target.Port} safety backup", request.LockTimeout, cancel);
        return new RedisBackupOperation(observer).RunLocked(repository, new RedisBackupRequest(request.Repository, request.Target, RedisBackupMode.Replication,
            null, TimeSpan.FromMinutes(10), null, null, request.Keys, request.LockTimeout, Repository.SafetyBackup.Tags(restoringId)), cancel).Id;
    }

    /// <summary>
    /// Puts the previous data back and starts the server on it: the safety backup when there is one (it holds what
    /// was in memory, which SHUTDOWN NOSAVE did not write), else the previous dump file. Returns the error to throw.
    /// </summary>
    private Exception RollBack(Exception cause, BackupRepository repository, string? safetyId, RedisRestoreRequest request, Action start, string path, string previous, bool hadFile)
    {
        observer.Warning($"Restore failed ({cause.Message}); putting the previous data of {request.Target} back.");
        try
        {
            if (Listening(request.Target)) (request.StopServer ?? (() => ShutdownNoSave(request.Target)))();
            WaitStopped(request.Target, request.StartTimeout, CancellationToken.None);
            if (safetyId != null)
            {
                var staged = $"{path}.bt-rollback-{safetyId}.tmp";
                Stage(repository, repository.GetManifest(safetyId), request, hadFile ? previous : path, staged, CancellationToken.None);
                File.Move(staged, path, overwrite: true);
                if (hadFile) File.Delete(previous);
            }
            else if (hadFile) File.Move(previous, path, overwrite: true);
            else File.Delete(path);
            StartAndCount(start, request.Target, request.StartTimeout, CancellationToken.None);
        }
        catch (Exception e)
        {
            return new BackupToolsException("RedisRestoreRollbackFailed", FailureKind.WriteError,
                $"Restore failed ({cause.Message}) and putting the previous data back failed too ({e.Message}).",
                (safetyId != null ? $"Safety backup {safetyId} holds the previous data. " : "") +
                (hadFile && File.Exists(previous) ? $"The previous dump file is at {previous}." : "") + " Put it in place and start the server by hand.", cause);
        }
        return cause is BackupToolsException known ? known : new BackupToolsException("RedisRestoreFailed", FailureKind.ExternalToolFailure,
            $"Restore failed ({cause.Message}); the previous data was put back and the server started again.", null, cause);
    }

    private static IReadOnlyList<RdbDatabase> StartAndCount(Action start, RedisTarget target, TimeSpan timeout, CancellationToken cancel)
    {
        start();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                using var connection = RespConnection.Open(target, TimeSpan.FromSeconds(5), cancel);
                if (RedisInspector.ParseInfo(connection.Command("INFO", "persistence") ?? "").GetValueOrDefault("loading") == "0")
                    return RedisInspector.ParseKeyspace(RedisInspector.ParseInfo(connection.Command("INFO", "keyspace") ?? ""));
            }
            catch (Exception e) when (e is SocketException or IOException || e is RespErrorException { Reply: var r } && r.StartsWith("LOADING", StringComparison.Ordinal)) { }
            if (clock.Elapsed > timeout)
                throw new BackupToolsException("RedisStartTimeout", FailureKind.ResourceBusy, $"{target} did not come up with its data within {timeout.TotalSeconds:0} s.", "Check the server log; raise -StartTimeoutSec for a large dataset.");
            Thread.Sleep(50);
        }
    }

    /// <summary>Without a -StartScript: run the server's own executable with its config file (so the config must name one).</summary>
    private static Action DefaultStart(Dictionary<string, string> server, RedisTarget target)
    {
        var executable = server.GetValueOrDefault("executable");
        var config = server.GetValueOrDefault("config_file");
        // A server started as plain "redis-server" reports <its cwd>/redis-server: then PATH's is the one.
        if (string.IsNullOrEmpty(executable) || !File.Exists(executable))
        {
            try { executable = RedisServerBinary.Locate(null); } catch (BackupToolsException) { executable = null; }
        }
        if (executable is null || string.IsNullOrEmpty(config) || !File.Exists(config))
            throw new BackupInputException("RedisRestoreNeedsStartScript", "StartScript",
                $"{target} was not started from a config file this machine can read, so BackupTools cannot start it again after replacing its data.",
                "Pass -StopScript and -StartScript (e.g. { systemctl stop redis-server } and { systemctl start redis-server }).");
        // Started by us as root, a server that ran as 'redis' would write root-owned files it cannot read later.
        if (UnixFileStat.IsRoot && int.TryParse(server.GetValueOrDefault("process_id"), out var pid) && UnixFileStat.Get($"/proc/{pid}") is { Uid: > 0 } owner)
            throw new BackupInputException("RedisRestoreNeedsStartScript", "StartScript",
                $"{target} runs as uid {owner.Uid}; BackupTools runs as root and would start it as root.",
                "Pass -StopScript and -StartScript that start it as its own user (e.g. via systemctl).");
        return () =>
        {
            using var process = Process.Start(new ProcessStartInfo(executable, [config]) { UseShellExecute = false })
                ?? throw new InvalidOperationException($"{executable} did not start");
            // With daemonize yes the launcher exits at once; otherwise the server keeps running as our child.
            process.WaitForExit(2000);
        };
    }

    private static void ShutdownNoSave(RedisTarget target)
    {
        using var connection = RespConnection.Open(target, TimeSpan.FromSeconds(5), CancellationToken.None);
        connection.Send("SHUTDOWN", "NOSAVE");
        try
        {
            if (connection.ReadByte() == '-') throw new RespErrorException(connection.ReadLine());
        }
        catch (IOException) { /* the server went away: that is the answer */ }
    }

    private static void WaitStopped(RedisTarget target, TimeSpan timeout, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        while (Listening(target))
        {
            cancel.ThrowIfCancellationRequested();
            if (clock.Elapsed > timeout)
                throw new BackupToolsException("RedisStopTimeout", FailureKind.ResourceBusy, $"{target} still accepts connections {timeout.TotalSeconds:0} s after it was asked to stop.", "Check -StopScript or stop the server by hand.");
            Thread.Sleep(50);
        }
    }

    private static bool Listening(RedisTarget target)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(target.Host, target.Port);
            return true;
        }
        catch (SocketException) { return false; }
    }
}
