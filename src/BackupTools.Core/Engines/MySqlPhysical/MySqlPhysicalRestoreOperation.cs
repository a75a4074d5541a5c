using System.Diagnostics;
using BackupTools.Core.Audit;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using MySqlConnector;

namespace BackupTools.Core.Engines.MySqlPhysical;

/// <summary>
/// Restores a physical backup in place of a stopped server's data directory: the mbstream is unpacked beside it (every
/// object byte checked against the manifest's hash), mariadb-backup --prepare makes it consistent, a temporary server
/// on a private socket starts on it, replays the archived binlog up to the target when asked, and proves every database
/// and table the backup recorded readable. Only then is the stopped server's directory renamed aside and the proven copy
/// renamed in. The old directory stays until the server, started by StartCommand, answers. Anything short of a proven
/// copy removes the copy and leaves the data directory as it was.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // data directories: POSIX modes, owners and /proc
public sealed class MySqlPhysicalRestoreOperation(IOperationObserver observer)
{
    private const string Activity = "Restore-MySqlPhysical";

    public MySqlPhysicalRestoreResult? Run(MySqlPhysicalRestoreRequest request, CancellationToken cancel) =>
        OperationAudit.Run(request.Repository, new AuditSubject("restore", request.Cell, MySqlPhysicalBackupOperation.EngineName, request.DataDirectory), observer,
            opened => RunUnaudited(opened, request, cancel),
            r => r is null ? null : new AuditOutcome([r.BackupId], $"physical restore into {r.DataDirectory}{(r.BinlogReplayed is { } range ? $", binlog {range}" : "")}"));

    private MySqlPhysicalRestoreResult? RunUnaudited(OperationRepository opened, MySqlPhysicalRestoreRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        if ((request.StartCommand != null || request.StartAction != null) && request.Target is null)
            throw new BackupInputException("MySqlStartWithoutTarget", "StartCommand", "needs the server's -Server/-Port/-Credential to check that it answers.", "Add them, or drop -StartCommand and start the server yourself.");
        var repository = opened.Get();
        var backup = Choose(repository, request);
        var target = Path.GetFullPath(request.DataDirectory).TrimEnd('/');
        if (Path.GetDirectoryName(target) is not { } parent || !System.IO.Directory.Exists(parent))
            throw new BackupInputException("RestoreDestinationNotFound", "DataDirectory", $"the parent of '{target}' does not exist.", "Create it first.");
        StoppedServerGuard.Check(target);
        var range = request.Replay is { } wanted ? BinlogReplay.Plan(repository, backup, wanted, observer) : null;
        var stamp = DateTime.UtcNow.ToString("yyyyMMddTHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        var previous = System.IO.Directory.Exists(target) ? $"{target}.bt-previous-{stamp}" : null;
        if (!request.ShouldProcess(target, $"Replace the data directory {target} of a stopped server{(previous is null ? "" : $" (kept as {previous} until the server answers)")} " +
                $"with physical backup {backup.Id} ({backup.CompletedAt:u}){(range is null ? "" : $" + binlog {range}")}"))
            return null;

        var tool = MariaDbBackupTool.Locate(request.ToolPath);
        var staging = $"{target}.bt-staging-{stamp}";
        System.IO.Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Proof proof;
        try
        {
            Unpack(repository, backup, request, tool, staging, cancel);
            observer.Progress(Activity, $"{backup.Id}: mariadb-backup --prepare", 0, null);
            ExternalTool.Run(tool.Backup, ["--no-defaults", "--prepare", $"--target-dir={staging}"], new Dictionary<string, string>(), null, null, cancel);
            var owner = Owner(previous is null ? parent : target);
            if (owner != null) MariaDbScratchServer.Chown(owner, staging);
            using (var server = MariaDbScratchServer.Start(tool.Server(), staging, owner ?? (Directory.UnixFileStat.IsRoot ? "root" : null), cancel))
            {
                if (request.Replay is { } replay)
                {
                    observer.Progress(Activity, $"{backup.Id}: replaying binlog {range}", 0, null);
                    using var defaults = new PrivateTempFile(server.DefaultsFileContent, ".cnf");
                    BinlogReplay.ApplyToServer(repository, backup, request.Keys, tool.Client(request.ToolPath), defaults.FilePath, replay, observer, cancel);
                }
                proof = Prove(server, backup);
                server.Stop();
            }
            StoppedServerGuard.Check(target); // it may have been started while we worked
            if (previous != null) System.IO.Directory.Move(target, previous);
            System.IO.Directory.Move(staging, target);
        }
        catch
        {
            try { if (System.IO.Directory.Exists(staging)) System.IO.Directory.Delete(staging, recursive: true); } catch (IOException) { }
            throw;
        }
        var started = Start(request, target, previous, cancel);
        if (started && previous != null && !request.KeepPrevious)
        {
            System.IO.Directory.Delete(previous, recursive: true);
            previous = null;
        }
        else if (previous != null)
            observer.Warning($"{target} now holds physical backup {backup.Id}; the replaced data directory is kept at {previous}" +
                (started ? "." : ": start the server, and remove it once the server answers."));
        return new MySqlPhysicalRestoreResult
        {
            Engine = backup.Engine, Cell = backup.Cell, RestoredId = backup.Id, RestoredPointInTime = RestoredPoint(repository, backup, request.Replay),
            Destination = target, BackupCompletedAt = backup.CompletedAt, PreviousDataDirectory = previous, BinlogReplayed = range,
            Started = started, Databases = proof.Databases, Tables = proof.Rows.Count, RowCounts = proof.Rows, Duration = clock.Elapsed,
        };
    }

    /// <summary>The replay's stop, the archive's newest event when it ran to the end, else the backup's own moment.</summary>
    private static DateTimeOffset RestoredPoint(BackupRepository repository, BackupManifest backup, BinlogReplayTarget? replay) => replay switch
    {
        null => backup.CompletedAt,
        { StopAt: { } at } => at,
        { StopGtid: null } => new BinlogArchive(repository.ListManifests(NullObserver.Instance), replay.Cell).NewestEvent ?? backup.CompletedAt,
        _ => backup.CompletedAt,
    };

    private static BackupManifest Choose(BackupRepository repository, MySqlPhysicalRestoreRequest request)
    {
        if (request.Id is { } id)
        {
            var manifest = repository.GetManifest(id);
            if (manifest.Engine != MySqlPhysicalBackupOperation.EngineName)
                throw new BackupInputException("MySqlPhysicalBackupNotFound", "Id", $"{id} is a {manifest.Engine} backup, not a physical MariaDB backup.", "Restore it with its own cmdlet, or pick a mysql-physical backup.");
            if (request.Replay?.StopAt is { } stopAt && manifest.CompletedAt > stopAt)
                throw new BackupInputException("MySqlPhysicalAfterTarget", "At", $"backup {id} completed at {manifest.CompletedAt:u}, after {stopAt:u}; replay cannot go back in time.", "Pick an older backup or a later -At.");
            return manifest;
        }
        if (request.Cell is null)
            throw new BackupInputException("MySqlPhysicalBackupNotChosen", "Id", "say which backup: -Id, or -Cell for the newest one (before -At).", "Add -Id <backup id> or -Cell <cell>.");
        var candidates = repository.ListManifests(NullObserver.Instance)
            .Where(m => m.Engine == MySqlPhysicalBackupOperation.EngineName && string.Equals(m.Cell, request.Cell, StringComparison.OrdinalIgnoreCase)).ToList();
        var at = request.Replay?.StopAt;
        return candidates.Where(m => at is null || m.CompletedAt <= at).MaxBy(m => m.CompletedAt)
            ?? throw new BackupToolsException("MySqlPhysicalBackupNotFound", FailureKind.NotFound,
                candidates.Count == 0 ? $"Cell '{request.Cell}' has no physical backup." : $"No physical backup of '{request.Cell}' completed before {at:u}.",
                "Take one with Backup-MySqlPhysical, or pick another -Cell/-At.");
    }

    private void Unpack(BackupRepository repository, BackupManifest backup, MySqlPhysicalRestoreRequest request, MariaDbBackupTool tool, string staging, CancellationToken cancel)
    {
        observer.Verbose($"Unpacking physical backup {backup.Id} into {staging}.");
        using var data = repository.OpenObject(backup, BackupManifest.DataRole, request.Keys);
        observer.Progress(Activity, $"{backup.Id}: unpacking", 0, backup.Data.RawBytes);
        ExternalTool.Run(tool.Mbstream, ["-x", "-C", staging], new Dictionary<string, string>(), null, data, cancel);
        data.VerifyToEnd(cancel);
        foreach (var required in MbstreamValidator.RequiredFiles)
            if (!File.Exists(Path.Combine(staging, required)))
                throw new BackupIntegrityException("MySqlPhysicalIncomplete", $"Physical backup {backup.Id} lacks {required}; nothing was replaced.");
    }

    private sealed record Proof(int Databases, IReadOnlyDictionary<string, long> Rows);

    /// <summary>Every database and table the backup recorded is there and readable (a full count reads each clustered index); rows are counted in every table.</summary>
    private static Proof Prove(MariaDbScratchServer server, BackupManifest backup)
    {
        using var connection = server.Open();
        var rows = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var databases = MySqlInspector.ListDatabases(connection, includeSystem: false);
        foreach (var database in databases)
            foreach (var (table, _, _) in MySqlInspector.TableEngines(connection, database))
            {
                try { rows[$"{database}.{table}"] = MySqlInspector.Query(connection, $"select count(*) from {MySqlInspector.Quote(database)}.{MySqlInspector.Quote(table)}", r => r.GetInt64(0)).Single(); }
                catch (MySqlException e)
                {
                    throw new BackupIntegrityException("MySqlPhysicalProofFailed", $"{database}.{table} of physical backup {backup.Id} cannot be read on the restored copy ({e.Message}); nothing was replaced.");
                }
            }
        foreach (var (database, tables) in backup.EngineInfo?["databases"]?.AsObject() ?? [])
            foreach (var table in tables?.AsArray().Select(t => t!.GetValue<string>()) ?? [])
                if (!rows.ContainsKey($"{database}.{table}"))
                    throw new BackupIntegrityException("MySqlPhysicalProofFailed", $"{database}.{table}, recorded in physical backup {backup.Id}, is missing from the restored copy; nothing was replaced.");
        return new Proof(databases.Count, rows);
    }

    /// <summary>When we run as root, the files belong to whoever owns what they replace (the server's user), and the temporary server runs as that user.</summary>
    private static string? Owner(string path)
    {
        if (!Directory.UnixFileStat.IsRoot) return null;
        var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%U", path]) { UseShellExecute = false, RedirectStandardOutput = true })!;
        var owner = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return stat.ExitCode == 0 && owner.Length > 0 && owner != "UNKNOWN" ? owner : null;
    }

    private static BackupToolsException NotStarted(string what, string target, string kept) =>
        new("MySqlRestoredServerNotStarted", FailureKind.ExternalToolFailure, $"{what}; {target} holds the restored data.{kept}", "Start the server by hand and check its error log.");

    /// <summary>Runs StartCommand (or StartAction) and waits until Target answers; false without either.</summary>
    private bool Start(MySqlPhysicalRestoreRequest request, string target, string? previous, CancellationToken cancel)
    {
        var kept = previous is null ? "" : $" The replaced data directory is kept at {previous}: to go back, stop the server and rename it to {target}.";
        if (request.StartCommand is { } command)
        {
            var result = ShellCommand.Run(command, request.StartTimeout, cancel);
            if (result.TimedOut || result.ExitCode != 0)
                throw NotStarted($"The start command ('{command}') {(result.TimedOut ? "did not finish in time" : $"failed (exit {result.ExitCode}): {result.Output.Trim().Split('\n').LastOrDefault()}")}", target, kept);
        }
        else if (request.StartAction is { } start)
        {
            try { start(); }
            catch (BackupToolsException e) { throw NotStarted(e.Message.TrimEnd('.'), target, kept); }
        }
        else return false;
        var until = DateTime.UtcNow + request.StartTimeout;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                using var connection = MySqlInspector.Open(request.Target!, null);
                MySqlInspector.Query(connection, "select 1", r => r.GetInt32(0));
                return true;
            }
            catch (BackupToolsException e) when (DateTime.UtcNow < until)
            {
                observer.Verbose($"Waiting for {request.Target} to answer ({e.Message}).");
                Thread.Sleep(500);
            }
            catch (BackupToolsException e)
            {
                throw new BackupToolsException("MySqlRestoredServerNotAnswering", FailureKind.ExternalToolFailure,
                    $"{request.Target} did not answer within {request.StartTimeout.TotalSeconds:0} s after the start command ({e.Message}); {target} holds the restored data.{kept}",
                    "Check the server's error log.");
            }
        }
    }
}
