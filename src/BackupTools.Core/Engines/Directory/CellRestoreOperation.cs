using BackupTools.Core.Audit;
using System.Diagnostics;
using BackupTools.Core.Engines.Directory.Tar;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// Restores a cell to a point in time: resolves the chain (full + differentials/incrementals), takes a
/// safety backup of live data it would replace, rebuilds the tree in a staging folder beside the target,
/// checks it against the backup's index, and only then swaps it in. Any failure leaves the old data as it was.
/// </summary>
public sealed class CellRestoreOperation(IOperationObserver observer)
{
    private const string Activity = "Restore-Cell";

    /// <summary>Returns null when ShouldProcess declined (-WhatIf or a "no" at -Confirm).</summary>
    public RestoreResult? Run(CellRestoreRequest request, CancellationToken cancel) =>
        OperationAudit.Run(request.Repository, new AuditSubject("restore", request.Cell, CellBackupOperation.EngineName, request.Destination ?? request.Id), observer,
            opened => RunUnaudited(opened, request, cancel),
            r => r is null ? null : new AuditOutcome(r.SafetyBackupId is { } safety ? [r.RestoredId, safety] : [r.RestoredId],
                $"restored to {r.Destination} ({r.Files} files){(r.SafetyBackupId is { } s ? $"; safety backup {s}" : r.SafetyBackupSkipped ? "; safety backup skipped" : "")}"));

    private RestoreResult? RunUnaudited(OperationRepository opened, CellRestoreRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        if (request.Cell != null) BackupId.ValidateCellName(request.Cell);
        var repository = opened.Get();
        var all = repository.ListManifests(observer);
        var target = RestorePointSelector.Select(repository, all, request.Cell, request.Id, request.At);
        if (target.Engine != CellBackupOperation.EngineName)
            throw new BackupInputException("RestoreWrongEngine", "Id", $"backup {target.Id} is a {target.Engine} backup, not a cell (directory) backup.", "Use the Restore- cmdlet for that engine.");
        var chain = BackupChain.Resolve(target, all.ToDictionary(m => m.Id));
        var destination = Path.GetFullPath(request.Destination ?? target.Source);
        if (File.Exists(destination))
            throw new BackupInputException("RestoreDestinationIsFile", "Destination", $"'{destination}' is a file, not a directory.", "Give a directory path.");
        var replacing = System.IO.Directory.Exists(destination) && System.IO.Directory.EnumerateFileSystemEntries(destination).Any();

        var action = $"Restore cell '{target.Cell}' to {target.CompletedAt:u} from {target.Id} ({chain.Count} backup(s))" + (replacing ? ", replacing the data there" : "");
        if (!request.ShouldProcess(destination, action)) return null;

        string? safetyId = null;
        if (replacing && !request.SkipSafetyBackup)
            safetyId = TakeSafetyBackup(repository, target, destination, request, cancel);
        else if (replacing)
            observer.Warning($"-SkipSafetyBackup: the current data in {destination} will be replaced without a safety backup.");

        var staging = StagingArea.Create(destination);
        try
        {
            var (files, bytes) = BuildTree(repository, chain, target, staging, request, cancel);
            cancel.ThrowIfCancellationRequested();
            staging.SwapInto(destination);
            return new RestoreResult
            {
                Cell = target.Cell,
                Destination = destination,
                Chain = chain.Select(m => m.Id).ToList(),
                RestoredId = target.Id,
                RestoredPointInTime = target.CompletedAt,
                SafetyBackupId = safetyId,
                SafetyBackupSkipped = replacing && request.SkipSafetyBackup,
                ReplacedExistingData = replacing,
                Files = files,
                Bytes = bytes,
                Duration = clock.Elapsed,
            };
        }
        finally
        {
            staging.Dispose();
        }
    }

    private string TakeSafetyBackup(BackupRepository repository, BackupManifest target, string destination, CellRestoreRequest request, CancellationToken cancel)
    {
        observer.Verbose($"Taking a safety backup of {destination} before replacing it.");
        using var writerLock = WriterLock.AcquireShared(repository, $"Restore-Cell {target.Cell} safety backup", request.LockTimeout, cancel);
        var backup = new CellBackupOperation(observer).RunLocked(repository,
            new CellBackupRequest(request.Repository, target.Cell, destination, BackupKind.Full, null, request.Keys,
                request.LockTimeout, SafetyBackup.Tags(target.Id)), cancel);
        return backup.Id;
    }

    private (long Files, long Bytes) BuildTree(BackupRepository repository, IReadOnlyList<BackupManifest> chain, BackupManifest target,
        StagingArea staging, CellRestoreRequest request, CancellationToken cancel)
    {
        // The index is read and checked whole before anything is written: its paths decide what is deleted,
        // verified and chowned, so a crafted one must be refused while nothing has been touched.
        var index = ReadIndex(repository, target, request);
        var extractor = new SafeTreeExtractor(staging.Root);
        var applied = new HashSet<string>(StringComparer.Ordinal);
        long totalStored = chain.Sum(m => m.Data.RawBytes), done = 0;
        foreach (var layer in chain)
        {
            using var data = repository.OpenObject(layer, BackupManifest.DataRole, request.Keys);
            var reader = new TarReader(data);
            CheckMeta(reader.Next(), layer);
            while (reader.Next() is { } entry)
            {
                cancel.ThrowIfCancellationRequested();
                if (!CellArchiveLayout.TryFromArchivePath(TarPathGuard.Normalize(entry.Header.Path), out var cellPath))
                    throw new BackupIntegrityException("CellArchiveUnexpectedEntry", $"Backup {layer.Id} holds '{entry.Header.Path}' outside its data folder.");
                extractor.Apply(entry);
                applied.Add(cellPath);
                observer.Progress(Activity, $"{layer.Id}: {cellPath}", done + data.RawBytesRead, totalStored);
            }
            data.VerifyToEnd();
            done += layer.Data.RawBytes;
        }

        // Paths an earlier layer wrote that the restore point no longer has: deletions recorded by the chain.
        // They come from the archives (already confined by TarPathGuard) and go through the extractor, which
        // never follows a link.
        foreach (var path in applied.Where(p => !index.Contains(p)).OrderByDescending(p => p.Length))
            extractor.Remove(CellArchiveLayout.ToArchivePath(path));
        extractor.Complete();
        var counts = staging.VerifyAgainst(index);
        // Owners last: only a tree proven to match the index (every parent a real directory) is chowned, and
        // lchown never follows a link.
        if (UnixFileStat.IsRoot)
            foreach (var e in index.Entries) UnixFileStat.SetOwner(staging.PathOf(e.Path), e.Uid, e.Gid);
        return counts;
    }

    private static void CheckMeta(TarEntry? first, BackupManifest layer)
    {
        if (first is null || first.Header.Path != CellArchiveLayout.MetaEntry)
            throw new BackupIntegrityException("CellArchiveMetaMissing", $"Backup {layer.Id} does not start with {CellArchiveLayout.MetaEntry}.");
        var meta = CellMeta.FromJson(first.ReadAllBytes());
        if (meta is null || meta.BackupId != layer.Id || meta.Cell != layer.Cell)
            throw new BackupIntegrityException("CellArchiveMetaMismatch", $"The meta.json inside {layer.Id} names another backup ({meta?.BackupId}); the object was swapped or damaged.");
    }

    private static CellIndex ReadIndex(BackupRepository repository, BackupManifest manifest, CellRestoreRequest request)
    {
        using var stream = repository.OpenObject(manifest, CellIndex.ObjectRole, request.Keys);
        var index = CellIndex.ReadFrom(stream);
        stream.VerifyToEnd();
        return index;
    }
}
