using System.Diagnostics;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository.Catalog;
using BackupTools.Core.Repository.Chunked;

namespace BackupTools.Core.Repository;

public sealed record RebuildIndexRequest(RepositoryReference Repository, BackupKeyRing? Keys, TimeSpan LockTimeout);

/// <summary>
/// Repair-BackupRepository -RebuildIndex: everything derived is rebuilt from what is authoritative, under the
/// exclusive lease — the chunk index (format 2) from the packs' headers, the catalog from the manifests. The
/// repository stays self-describing: losing index/ or catalog/ loses nothing.
/// </summary>
public sealed class RepositoryRepair(IOperationObserver observer)
{
    public const string Purpose = "Repair-BackupRepository -RebuildIndex";

    public IndexRebuildResult RebuildIndex(RebuildIndexRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        using var repository = request.Repository.Open();
        if (repository.Config.IsChunked && (request.Keys is null || request.Keys.IsEmpty))
            throw new BackupInputException("RebuildIndexRequiresKey", "KeyFile",
                $"repository {repository.Location} is format v2: its chunk index is rebuilt from the packs' encrypted headers, which needs the repository's key.",
                "Pass -KeyFile/-Key, or set BACKUPTOOLS_KEY or BACKUPTOOLS_KEY_FILE.");
        using var writerLock = WriterLock.AcquireExclusive(repository, Purpose, request.LockTimeout, cancel);
        var packs = repository.Config.IsChunked ? PackIndexRebuild.Run(repository, request.Keys!, observer, cancel) : null;
        var backups = CatalogCompactor.Build(repository, observer, cancel);
        observer.Verbose($"Catalog rebuilt from {backups} manifest(s).");
        return new IndexRebuildResult
        {
            Repository = repository.Location,
            Backups = backups,
            Packs = packs?.Packs ?? 0,
            PacksReadFromHeaders = packs?.PacksReadFromHeaders ?? 0,
            PacksUnreadable = packs?.PacksUnreadable ?? 0,
            IndexFilesWritten = packs?.IndexFilesWritten ?? 0,
            IndexFilesRemoved = packs?.IndexFilesRemoved ?? 0,
            Duration = clock.Elapsed,
        };
    }
}
