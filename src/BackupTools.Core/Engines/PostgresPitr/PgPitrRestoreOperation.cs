using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.Text.RegularExpressions;
using BackupTools.Core.Audit;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// Point-in-time recovery into a new data directory: the newest base backup completed before the target, its tar
/// unpacked and checked with pg_verifybackup, the archived WAL it needs staged beside it, then a temporary server on
/// its own port recovers to the target (recovery_target_time) and promotes. Only a server that recovered to the target,
/// promoted and answers is handed over (left running with KeepRunning, else stopped cleanly); anything short of that
/// removes what was built, and nothing that existed before is touched.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // PostgreSQL data directories: POSIX modes and owners
public sealed partial class PgPitrRestoreOperation(IOperationObserver observer)
{
    private const string Activity = "Restore-PostgresCluster";
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromHours(12);

    public PgPitrRestoreResult? Run(PgPitrRestoreRequest request, CancellationToken cancel) =>
        OperationAudit.Run(request.Repository, new AuditSubject("restore", request.Cell, PgBaseBackupOperation.EngineName, request.DataDirectory), observer,
            opened => RunUnaudited(opened.Get(), request, cancel),
            r => r is null ? null : new AuditOutcome([r.BaseBackupId], $"recovered to {r.RecoveredTo?.ToString("u") ?? "the end of the archive"} into {r.DataDirectory}"));

    /// <summary>The same recovery on a repository the caller opened, without an audit entry of its own (Test-BackupIntegrity -RestoreTest audits itself).</summary>
    public PgPitrRestoreResult? RunOn(BackupRepository repository, PgPitrRestoreRequest request, CancellationToken cancel) => RunUnaudited(repository, request, cancel);

    private PgPitrRestoreResult? RunUnaudited(BackupRepository repository, PgPitrRestoreRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        _ = request.Target; // refuses a bad or ambiguous target before anything is read
        var manifests = repository.ListManifests(observer, cancel);
        var baseBackup = ChooseBase(manifests, request);
        var archive = new WalArchive(manifests, request.Cell);
        var wal = WalRestorePlan.For(archive, baseBackup);
        if (wal.Gap != null) observer.Warning($"The WAL archive of {request.Cell} has a gap: {wal.Gap}. Recovery can reach only the point before it.");
        var target = Path.GetFullPath(request.DataDirectory).TrimEnd('/');
        if (request.InPlace)
        {
            if (request.KeepRunning) throw new BackupInputException("RestoreInPlaceKeepRunning", "KeepRunning", "an in-place restore leaves the cluster stopped.", "Start it with your service manager once it is in place.");
            CheckStoppedCluster(target);
        }
        // In place, the copy is built and proven beside the cluster; the cluster is only touched by the final renames.
        var dataDir = request.InPlace ? target + ".bt-staging" : target;
        CheckDestination(dataDir);
        var spaces = TablespacePlacement.Plan(PgTablespace.From(baseBackup.EngineInfo), request.TablespaceMap, request.InPlace, target);
        var walDir = dataDir.TrimEnd('/') + ".bt-wal";
        var log = dataDir.TrimEnd('/') + ".bt-recovery.log";
        var range = wal.Files.Count == 0 ? "no archived WAL" : $"{wal.Files.Count} archived WAL files {wal.Files[0]} … {wal.Files[^1]}";
        if (!request.ShouldProcess(target, (request.InPlace ? $"Replace the stopped cluster in {target} (kept as {target}.bt-previous-<time>): " : "") + $"Recover cluster '{request.Cell}' to {request.Target.Describe()}: base backup {baseBackup.Id} ({baseBackup.CompletedAt:u}) + {range}, on a temporary server on port {request.Port}"
            + (spaces.Count == 0 ? "" : $"; tablespaces: {string.Join(", ", spaces.Select(p => p.Describe()))}")))
            return null;

        var info = baseBackup.EngineInfo!;
        var tools = PgTools.Locate(request.ToolPath, info["serverMajor"]!.GetValue<int>());
        var server = new PgLocalServer(tools, dataDir, request.Port, log, RunAs(request.OsUser));
        var created = false;
        var tablespaces = new TablespaceBuild(spaces, dataDir);
        try
        {
            System.IO.Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            created = true;
            System.IO.Directory.CreateDirectory(walDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            tablespaces.Create();
            UnpackBase(repository, baseBackup, request, dataDir, tablespaces, cancel);
            StageWal(repository, archive, wal.Files, request, walDir, cancel);
            WalTablespaceScan.RefuseReplayIntoUsedFolders(tools, walDir, baseBackup.Id, cancel);
            server.GiveToOwner(walDir, [.. spaces.Select(p => p.Build)], cancel);
            server.Verify(cancel);
            RemoveSocketLocks(dataDir); // after pg_verifybackup: its manifest lists them
            tablespaces.WriteMap(); // after pg_verifybackup too: the recovering server must link to where the tablespaces were built
            server.ConfigureRecovery(walDir, request.Target);
            observer.Progress(Activity, $"{request.Cell}: recovering on port {request.Port}", 0, null);
            var recoveredTo = server.Recover(request.Target, wal.Gap, RecoveryLimit, cancel);
            server.Check(cancel);
            if (request.KeepRunning) server.Handover(cancel);
            else server.Stop(cancel);
            string? previous = null;
            if (request.InPlace)
            {
                server.RemoveRecoverySettings(); // it archives and replicates as the cluster did
                var stamp = $".bt-previous-{DateTime.UtcNow:yyyyMMddTHHmmss}";
                previous = target + stamp;
                var keptTablespaces = tablespaces.SwapIn(stamp);
                System.IO.Directory.Move(target, previous);
                System.IO.Directory.Move(dataDir, target);
                TablespaceBuild.Relink(previous, keptTablespaces); // the kept cluster keeps its own tablespaces
                observer.Warning($"{target} now holds the recovered cluster (stopped: start it with your service manager); the replaced one is kept at {previous}"
                    + (keptTablespaces.Count == 0 ? "." : $", its tablespaces at {string.Join(", ", keptTablespaces.Values)}."));
            }
            System.IO.Directory.Delete(walDir, recursive: true);
            if (!request.KeepRunning) File.Delete(log); // a running server keeps writing to it
            return new PgPitrRestoreResult
            {
                Engine = PgBaseBackupOperation.EngineName, Cell = request.Cell, Destination = request.InPlace ? target : dataDir, PreviousDataDirectory = previous,
                Port = request.Port, Running = request.KeepRunning, RestoredId = baseBackup.Id, RestoredPointInTime = recoveredTo ?? baseBackup.CompletedAt,
                BaseBackupCompletedAt = baseBackup.CompletedAt, Target = request.At, RecoveredTo = recoveredTo,
                WalFiles = wal.Files.Count, FirstWal = wal.Files.FirstOrDefault() ?? "", LastWal = wal.Files.LastOrDefault() ?? "", Duration = clock.Elapsed,
            };
        }
        catch (Exception e) when (created)
        {
            server.StopQuietly();
            var kept = File.Exists(log) ? KeepLog(log) : null;
            try { System.IO.Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
            tablespaces.RemoveBuilt();
            try { if (System.IO.Directory.Exists(walDir)) System.IO.Directory.Delete(walDir, recursive: true); } catch (IOException) { }
            if (kept != null && e is BackupToolsException bte)
                throw new BackupToolsException(bte.ErrorId, bte.Kind, $"{bte.Message.TrimEnd('.')}. The recovery log is kept at {kept}; {dataDir} was removed.", bte.RecommendedAction, e);
            throw;
        }
    }

    private static string KeepLog(string log)
    {
        var kept = Path.Combine(Path.GetTempPath(), $"bt-recovery-{DateTime.UtcNow:yyyyMMddTHHmmss}-{Environment.ProcessId}.log");
        File.Move(log, kept);
        return kept;
    }

    /// <summary>PostgreSQL refuses to run as root: then the server runs as OsUser (default postgres), who owns the files.</summary>
    private static string? RunAs(string? osUser) => UnixFileStat.IsRoot ? osUser ?? "postgres" : null;

    private BackupManifest ChooseBase(IReadOnlyList<BackupManifest> manifests, PgPitrRestoreRequest request)
    {
        var bases = manifests.Where(m => m.Engine == PgBaseBackupOperation.EngineName && string.Equals(m.Cell, request.Cell, StringComparison.OrdinalIgnoreCase)).ToList();
        if (request.BaseBackupId is { } id)
            return bases.FirstOrDefault(m => m.Id == id)
                ?? throw new BackupInputException("BaseBackupNotFound", "BaseBackupId", $"'{id}' is not a base backup of cell '{request.Cell}'.", "List them: Get-Backup -Cell <cell> | Where-Object Engine -eq postgres-base");
        if (bases.Count == 0)
            throw new BackupToolsException("BaseBackupNotFound", FailureKind.NotFound, $"Cell '{request.Cell}' has no base backup in {request.Repository}.",
                "Take one with Backup-PostgresBase (point-in-time recovery starts from a base backup).");
        // A time or an LSN places the target: the newest base that ended before it. A transaction id or a restore point
        // does not: the newest base, and -BaseBackupId when the target lies before it.
        var target = request.Target;
        var chosen = bases.Where(m => target.Time is not { } time || m.CompletedAt <= time)
            .Where(m => target.Lsn is not { } lsn || m.EngineInfo?["stopLsn"] is not { } stop || WalFileName.ParseLsn(stop.GetValue<string>()) <= lsn)
            .MaxBy(m => m.CompletedAt);
        return chosen ?? throw new BackupToolsException("RestorePointNotFound", FailureKind.NotFound,
            $"No base backup of '{request.Cell}' ends before {target.Describe()}; the oldest completed {bases.Min(m => m.CompletedAt):u}.", "Pick a later target.");
    }

    /// <summary>An in-place restore replaces a cluster that is stopped: a live postmaster (postmaster.pid naming a running process) refuses it.</summary>
    private static void CheckStoppedCluster(string target)
    {
        if (!File.Exists(Path.Combine(target, "PG_VERSION")))
            throw new BackupInputException("RestoreInPlaceNotACluster", "DataDirectory", $"'{target}' is not a PostgreSQL data directory (no PG_VERSION).", "Pass the data directory of the stopped cluster to replace, or drop -InPlace for a side restore.");
        var pidFile = Path.Combine(target, "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && System.IO.Directory.Exists($"/proc/{pid}"))
            throw new BackupInputException("PostgresClusterRunning", "DataDirectory", $"the cluster in '{target}' is running (postmaster pid {pid}); nothing was changed.",
                "Stop it first (systemctl stop postgresql@…, or pg_ctl stop), then restore in place.");
    }

    private static void CheckDestination(string dataDir)
    {
        if (File.Exists(dataDir) || (System.IO.Directory.Exists(dataDir) && System.IO.Directory.EnumerateFileSystemEntries(dataDir).Any()))
            throw new BackupInputException("RestoreDestinationNotEmpty", "DataDirectory", $"'{dataDir}' exists and is not empty; a side restore never overwrites anything.",
                "Pass a new folder (it is created).");
        if (System.IO.Directory.Exists(dataDir)) System.IO.Directory.Delete(dataDir);
        if (Path.GetDirectoryName(dataDir) is not { } parent || !System.IO.Directory.Exists(parent))
            throw new BackupInputException("RestoreDestinationNotFound", "DataDirectory", $"the parent of '{dataDir}' does not exist.", "Create it first.");
    }

    /// <summary>Unpacks the base backup's tar into the new data directory; every path confined to it.</summary>
    private void UnpackBase(BackupRepository repository, BackupManifest baseBackup, PgPitrRestoreRequest request, string dataDir, TablespaceBuild tablespaces, CancellationToken cancel)
    {
        observer.Verbose($"Unpacking base backup {baseBackup.Id} into {dataDir}.");
        using var data = repository.OpenObject(baseBackup, BackupManifest.DataRole, request.Keys, cancel);
        using (var tar = new TarReader(data, leaveOpen: true))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                cancel.ThrowIfCancellationRequested();
                if (entry.EntryType == TarEntryType.SymbolicLink && tablespaces.IsLink(entry.Name)) continue; // linked to where it is restored
                var (root, name) = tablespaces.Locate(entry.Name) ?? (dataDir, entry.Name);
                var path = Confined(root, name, baseBackup.Id);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        System.IO.Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        entry.ExtractToFile(path, overwrite: false);
                        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                        break;
                    case TarEntryType.SymbolicLink:
                        throw new BackupIntegrityException("BaseBackupHasLinks", $"Base backup {baseBackup.Id} holds a symbolic link ({entry.Name}) that is not a tablespace's it records; nothing of it was used.");
                }
                observer.Progress(Activity, $"unpacking {entry.Name}", data.RawBytesRead, baseBackup.Data.RawBytes);
            }
        }
        data.VerifyToEnd();
    }

    /// <summary>
    /// The source's socket lock file (.s.PGSQL.&lt;port&gt;.lock, when its socket directory is the data directory): pg_basebackup
    /// copies it, and a server started on that port refuses to run while the pid it names is alive — any process that reused it.
    /// </summary>
    private static void RemoveSocketLocks(string dataDir)
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(dataDir, ".s.PGSQL.*.lock").Where(f => SocketLock().IsMatch(Path.GetFileName(f))).ToList())
            File.Delete(file);
    }

    [GeneratedRegex(@"^\.s\.PGSQL\.\d+\.lock$")]
    private static partial Regex SocketLock();

    private static string Confined(string root, string name, string id)
    {
        var path = Path.GetFullPath(Path.Combine(root, name));
        if (Path.IsPathRooted(name) || !(path + "/").StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal))
            throw new BackupIntegrityException("BaseBackupPathEscapes", $"Base backup {id} holds an entry '{name}' outside the data directory; nothing of it was used.");
        return path;
    }

    /// <summary>Writes the needed WAL files out of their batches, each checked against the SHA-256 its batch recorded.</summary>
    private void StageWal(BackupRepository repository, WalArchive archive, IReadOnlyList<string> files, PgPitrRestoreRequest request, string walDir, CancellationToken cancel)
    {
        var wanted = files.ToHashSet(StringComparer.Ordinal);
        var batches = files.Select(f => archive.TryGet(f, out var batch, out _) ? batch : null).OfType<BackupManifest>().DistinctBy(b => b.Id).ToList();
        var staged = 0;
        foreach (var batch in batches)
        {
            var expected = WalArchive.Files(batch).ToDictionary(f => f.Name, f => f.Sha256, StringComparer.Ordinal);
            using var data = repository.OpenObject(batch, BackupManifest.DataRole, request.Keys, cancel);
            using (var tar = new TarReader(data, leaveOpen: true))
            {
                while (tar.GetNextEntry() is { } entry)
                {
                    cancel.ThrowIfCancellationRequested();
                    if (!wanted.Contains(entry.Name) || entry.DataStream is null) continue;
                    var path = Path.Combine(walDir, WalRestorePlan.StagedName(entry.Name));
                    using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
                    using (var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256))
                    {
                        var buffer = new byte[1 << 20];
                        int n;
                        while ((n = entry.DataStream.Read(buffer)) > 0) { hash.AppendData(buffer, 0, n); output.Write(buffer, 0, n); }
                        if (Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant() != expected.GetValueOrDefault(entry.Name))
                            throw new BackupIntegrityException("WalFileDamaged", $"{entry.Name} in WAL batch {batch.Id} does not match the SHA-256 recorded for it.");
                    }
                    observer.Progress(Activity, $"staging WAL {entry.Name}", ++staged, files.Count);
                }
            }
            data.VerifyToEnd();
        }
        var missing = files.Where(f => !File.Exists(Path.Combine(walDir, WalRestorePlan.StagedName(f)))).ToList();
        if (missing.Count > 0)
            throw new BackupIntegrityException("WalFileMissing", $"WAL batches of '{request.Cell}' lack {missing.Count} file(s) their manifests list (first: {missing[0]}).");
    }
}
