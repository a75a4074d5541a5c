using BackupTools.Core.Audit;
using System.Text.Json.Nodes;
using BackupTools.Core.Engines.Directory.Tar;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// Backs up a directory tree ("cell") as a tar streamed through the repository pipeline. Incremental
/// stores what changed since the cell's last backup, differential since its last full; both record the
/// complete tree in their index so a restore can apply deletions exactly.
/// </summary>
public sealed class CellBackupOperation(IOperationObserver observer)
{
    public const string EngineName = "directory";
    private const string Activity = "Backup-Cell";

    private BackupTemplate Template => new(observer);

    public BackupRecord Run(CellBackupRequest request, CancellationToken cancel) =>
        Template.Audited(request.Repository, new AuditSubject("backup", request.Cell, EngineName, request.Path), opened => RunUnaudited(opened, request, cancel), r => $"{r.Kind}, ");

    private BackupRecord RunUnaudited(OperationRepository opened, CellBackupRequest request, CancellationToken cancel)
    {
        BackupId.ValidateCellName(request.Cell);
        var root = System.IO.Path.GetFullPath(request.Path);
        if (!System.IO.Directory.Exists(root))
            throw new BackupInputException("CellPathNotFound", "Path", $"'{request.Path}' does not exist or is not a directory.", "Check the path of the cell's data.");
        var repository = opened.Get();
        if (IsInside(root, repository.Store) )
            throw new BackupInputException("CellContainsRepository", "Path", $"the repository lies inside '{root}'; the backup would contain itself.", "Keep the repository outside the cell's data.");
        return Template.Locked(repository, $"Backup-Cell {request.Cell}", request.LockTimeout, cancel, _ => RunLocked(repository, request with { Path = root }, cancel));
    }

    /// <summary>For callers that already hold the repository's writer lock (a restore's safety backup).</summary>
    public BackupRecord RunLocked(BackupRepository repository, CellBackupRequest request, CancellationToken cancel)
    {
        // Only backups of this same tree can be a parent: a cell may hold several directory sources (plans).
        var cellBackups = repository.ListManifests(observer, cancel).Where(m => m.Cell == request.Cell && m.Engine == EngineName && m.Source == request.Path).ToList();
        var kind = request.Kind;
        if (kind != BackupKind.Full && request.FullEvery is { } every && LastFull(cellBackups) is var full && (full is null || full.StartedAt < DateTimeOffset.UtcNow - every))
        {
            observer.Verbose($"Cell '{request.Cell}' has no Full of {request.Path} newer than {every} ({full?.Id ?? "none at all"}); taking a Full backup.");
            kind = BackupKind.Full;
        }
        var parent = BackupChain.ParentFor(kind, cellBackups);
        if (kind != BackupKind.Full && parent is null)
        {
            observer.Warning($"Cell '{request.Cell}' has no earlier backup of {request.Path} to build a {kind} on; taking a Full backup instead.");
            kind = BackupKind.Full;
        }
        var parentIndex = parent is null ? null : ReadIndex(repository, parent, request);

        observer.Progress(Activity, $"Scanning {request.Path}", 0, null);
        var entries = TreeScanner.Scan(request.Path, observer).ToList();
        var index = new CellIndex();
        foreach (var e in entries) index.Add(e);
        var toStore = entries.Where(e => e.Kind == CellEntryKind.Directory || parentIndex is null
            || !parentIndex.TryGet(e.Path, out var before) || e.ChangedSince(before)).ToList();
        var totalBytes = toStore.Where(e => e.Kind == CellEntryKind.File).Sum(e => e.Size);

        var plan = new BackupPlan(request.Cell, request.Path, EngineName, kind, parent?.Id, BackupTemplate.CompressionFor(repository, request.Compression), request.Tags);
        using var writer = repository.BeginBackup(plan, request.Keys, cancel);
        long done = 0;
        using (var data = writer.OpenObject(BackupManifest.DataRole))
        {
            var tar = new TarWriter(data) { Warn = observer.Warning };
            var meta = new CellMeta(writer.StartedAt, Environment.MachineName, ToolInfo.Version, request.Cell, writer.Id, kind.ToString(), parent?.Id, request.Path);
            tar.WriteBytes(CellArchiveLayout.MetaEntry, meta.ToJson(), 0b110_000_000, writer.StartedAt);
            var files = toStore.Where(e => e.Kind == CellEntryKind.File).ToList();
            var readAhead = new ReadAhead(files.Select(e => System.IO.Path.Combine(request.Path, e.Path)).ToList(), sizes: files.Select(e => e.Size).ToList());
            var fileIndex = 0;
            foreach (var entry in toStore)
            {
                cancel.ThrowIfCancellationRequested();
                if (entry.Kind == CellEntryKind.File) readAhead.Advance(fileIndex++, entry.Size);
                WriteEntry(tar, request.Path, entry, bytes =>
                {
                    done += bytes;
                    observer.Progress(Activity, $"{request.Cell}: {entry.Path}", done, totalBytes);
                });
            }
            tar.Finish();
            data.Complete();
        }
        using (var indexObject = writer.OpenObject(CellIndex.ObjectRole))
        {
            index.WriteTo(indexObject);
            indexObject.Complete();
        }
        if (writer.CanWriteWriterReadable)
        {
            // Key pairs: the same index once more, readable with the pair's writer secret, so a host holding only the
            // public key can make the next incremental (it learns paths, sizes, times, modes and owners; no content).
            using var state = writer.OpenWriterReadableObject(CellIndex.StateRole);
            index.WriteTo(state);
            state.Complete();
        }
        cancel.ThrowIfCancellationRequested();
        var deleted = parentIndex?.Entries.Count(e => !index.Contains(e.Path)) ?? 0;
        var manifest = writer.Complete(new JsonObject
        {
            ["path"] = request.Path,
            ["files"] = entries.Count(e => e.Kind == CellEntryKind.File),
            ["directories"] = entries.Count(e => e.Kind == CellEntryKind.Directory),
            ["symlinks"] = entries.Count(e => e.Kind == CellEntryKind.Symlink),
            ["treeBytes"] = entries.Where(e => e.Kind == CellEntryKind.File).Sum(e => e.Size),
            ["storedFiles"] = toStore.Count(e => e.Kind == CellEntryKind.File),
            ["storedBytes"] = totalBytes,
            ["deletedPaths"] = deleted,
        });
        return repository.ToRecord(manifest);
    }

    private static void WriteEntry(TarWriter tar, string root, CellEntry entry, Action<long> bytesRead)
    {
        var archivePath = CellArchiveLayout.ToArchivePath(entry.Path);
        var mtime = new DateTimeOffset(entry.ModifiedTicks, TimeSpan.Zero);
        var full = entry.Path.Length == 0 ? root : System.IO.Path.Combine(root, entry.Path);
        switch (entry.Kind)
        {
            case CellEntryKind.Directory:
                tar.WriteDirectory(archivePath, entry.Mode, mtime);
                break;
            case CellEntryKind.Symlink:
                tar.WriteSymlink(archivePath, entry.LinkTarget!, entry.Mode, mtime);
                break;
            default:
                try
                {
                    tar.WriteFile(archivePath, full, entry.Size, entry.Mode, mtime, bytesRead);
                }
                catch (Exception e) when (e is UnauthorizedAccessException or FileNotFoundException or DirectoryNotFoundException)
                {
                    throw new BackupToolsException("CellFileUnreadable", FailureKind.WriteError,
                        $"Cannot read '{BackupTools.Core.Posix.PosixNames.Display(full)}': {e.Message}", "Run the backup as a user that can read the whole cell; nothing was stored.", e);
                }
                break;
        }
    }

    private static BackupManifest? LastFull(IEnumerable<BackupManifest> backups) =>
        backups.Where(m => m.Kind == BackupKind.Full).OrderBy(m => m.StartedAt).LastOrDefault();

    private CellIndex ReadIndex(BackupRepository repository, BackupManifest parent, CellBackupRequest request)
    {
        VerifyingReadStream stream;
        var role = WriterReadableObjects.CanOpen(repository, parent, CellIndex.StateRole, request.Keys) ? CellIndex.StateRole : CellIndex.ObjectRole;
        try
        {
            stream = repository.OpenObject(parent, role, request.Keys);
        }
        catch (Errors.BackupKeyException e) when (e.ErrorId == "PrivateKeyRequired")
        {
            throw new Errors.BackupKeyException("PrivateKeyRequired",
                $"An incremental or differential cell backup compares the tree with the previous backup's index, which a write-only host cannot read. {e.Message}",
                "A write-only host makes incrementals on backups that carry a file-state index it can read (made with this key pair's public key file by a version that stores one: format 1, or format 2 from this version on; after a key rotation, the next backup with the new key). Otherwise make a Full backup (-Type Full), or run the incremental with the private key file.", e);
        }
        using var _ = stream;
        var index = CellIndex.ReadFrom(stream);
        stream.VerifyToEnd();
        return index;
    }

    private static bool IsInside(string root, IBackupStore store) =>
        store is LocalBackupStore local &&
        (local.Root + System.IO.Path.DirectorySeparatorChar).StartsWith(root.TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
