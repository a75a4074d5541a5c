using System.Diagnostics;
using System.Security.Cryptography;
using BackupTools.Core.Audit;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// Optimize-BackupRepository's core: under the exclusive writer lease (which waits until no backup holds a shared
/// one, so no writer can be referencing a chunk it found in the index) it deletes the packs no kept backup uses,
/// rewrites mostly-unused ones, and drops packs no index names. The order makes a SIGKILL anywhere harmless:
/// new packs, then the new index files, then the old index files, then the old packs — at every moment every chunk a
/// manifest names is in a stored pack some index file lists, and a rerun recomputes the rest (PrunePlan).
/// </summary>
public sealed class RepositoryPruner(BackupRepository repository, IOperationObserver observer)
{
    public const string Purpose = "Optimize-BackupRepository";
    /// <summary>Packs per rewritten index file, so no single index file grows without bound.</summary>
    private const int PacksPerIndexFile = 500;
    /// <summary>The manifests the prune's plan was made from (read under the exclusive lease).</summary>
    private IReadOnlyList<BackupManifest>? _manifests;

    /// <param name="repackUnusedPercent">Rewrite packs with at least this share of unused bytes (1–100; 100: only delete wholly unused packs).</param>
    public PruneResult Prune(BackupKeyRing keys, int repackUnusedPercent, TimeSpan lockTimeout, Func<string, string, bool> shouldProcess, CancellationToken cancel)
    {
        try
        {
            return Run(keys, repackUnusedPercent, lockTimeout, shouldProcess, cancel);
        }
        catch (BackupToolsException e) when (e.ErrorId is not ("RepositoryNotChunked" or "RepackThresholdInvalid"))
        {
            AuditLog.Append(repository, new AuditSubject("prune"), AuditResults.Failed, null, $"{Purpose}: {e.Message}", e.ErrorId, observer);
            throw;
        }
    }

    private PruneResult Run(BackupKeyRing keys, int repackUnusedPercent, TimeSpan lockTimeout, Func<string, string, bool> shouldProcess, CancellationToken cancel)
    {
        if (!repository.Config.IsChunked)
            throw new BackupToolsException("RepositoryNotChunked", FailureKind.InvalidArgument,
                $"Repository {repository.Location} is format v{repository.Config.FormatVersion}: its backups share no chunks, so there is nothing to prune (Remove-Backup frees their space at once).",
                "Run Optimize-BackupRepository on a format-2 repository only.");
        if (repackUnusedPercent is < 1 or > 100)
            throw new BackupInputException("RepackThresholdInvalid", "RepackThreshold", $"{repackUnusedPercent} is not a percentage from 1 to 100.", "Pass e.g. -RepackThreshold 50.");
        var clock = Stopwatch.StartNew();
        var secret = ChunkSecrets.ForReading(repository.Store, keys);
        using var hasher = new ChunkHasher(secret);
        CryptographicOperations.ZeroMemory(secret);
        using var writerLock = WriterLock.AcquireExclusive(repository, Purpose, lockTimeout, cancel);
        RepositorySweeper.Sweep(repository, observer);
        var referenced = ReferencedChunks(cancel);
        var snapshot = IndexSnapshot.Load(repository.Store, keys, cancel);
        if (snapshot.Unreadable.Count > 0)
            throw new BackupIntegrityException("IndexUnreadable",
                $"Prune needs every index file of {repository.Location}; {snapshot.Unreadable.Count} could not be read: {string.Join("; ", snapshot.Unreadable.Select(u => $"{u.Key} ({u.Value})").Take(5))}. Nothing was changed.",
                "Pass every key the repository's backups were written with (-KeyFile), or rebuild the index (Repair-BackupRepository -RebuildIndex).");
        var plan = PrunePlan.Make(snapshot, referenced, repackUnusedPercent / 100.0);
        if (plan.Missing.Count > 0)
            throw new BackupIntegrityException("PruneChunksMissing",
                $"{plan.Missing.Count} chunk(s) that backups reference are in no stored, indexed pack (e.g. chunk {plan.Missing.First().Key} of backup {plan.Missing.First().Value}; " +
                $"backups: {string.Join(", ", plan.Missing.Values.Distinct().Take(5))}). Nothing was changed: packs no index names may hold them.",
                "Run Test-BackupIntegrity -Repository to see what is damaged; rebuild the index (Repair-BackupRepository -RebuildIndex) if index files were lost.");

        long Size(PackRef pack) => snapshot.Stored[pack.Id];
        var oldIndexBytes = plan.RewritesIndex ? snapshot.IndexFiles.Sum(f => repository.Store.SizeOf(f, cancel) ?? 0) : 0;
        var goingBytes = plan.Unused.Sum(Size) + plan.Rewrite.Sum(Size) + plan.Unindexed.Sum(id => snapshot.Stored[id]);
        var description = $"Delete {plan.Unused.Count} unused pack(s), rewrite {plan.Rewrite.Count} mostly-unused pack(s) ({plan.Copies.Count} live chunk(s)), " +
                          $"delete {plan.Unindexed.Count} unindexed pack(s): about {goingBytes - plan.Copies.Sum(c => (long)c.Entry.Length)} bytes freed";
        observer.Verbose(description);
        if (!plan.HasWork) return Result(plan, applied: true, freed: 0, written: [], indexFiles: 0, clock);
        if (!shouldProcess(repository.Location, description))
            return Result(plan, applied: false, freed: goingBytes - plan.Copies.Sum(c => (long)c.Entry.Length), written: [], indexFiles: 0, clock);
        FaultPoint.Reached("prune:after-plan");

        var written = plan.Copies.Count > 0 ? CopyLiveChunks(plan.Copies, keys, hasher, cancel) : [];
        FaultPoint.Reached("prune:after-packs");
        var newIndexBytes = 0L;
        if (plan.RewritesIndex)
        {
            foreach (var group in plan.Kept.Concat(written).Chunk(PacksPerIndexFile))
            {
                var key = IndexFile.Write(repository.Store, keys.Current, repository.Config.Defaults.SegmentSize, new IndexBody { Packs = group.ToList() }, cancel);
                newIndexBytes += repository.Store.SizeOf(key, cancel) ?? 0;
            }
            FaultPoint.Reached("prune:after-index");
            DeleteAll(snapshot.IndexFiles, "prune:mid-index-deletes", cancel);
        }
        // Only now may packs go: no index file names them any more, and every live chunk of theirs is in a kept or new pack.
        DeleteAll(plan.Unused.Concat(plan.Rewrite).Select(p => p.Key).Concat(plan.Unindexed.Select(PackFormat.KeyOf)).ToList(), "prune:mid-pack-deletes", cancel);
        repository.ChunkIndex.Refresh(repository.Store, keys, cancel);
        // The rewritten index files are under the current key: the keys each backup needs may have changed.
        if (plan.RewritesIndex) ChunkKeyRecords.Update(repository, _manifests!, keys, observer, (_, _) => { }, cancel);
        var freed = goingBytes + oldIndexBytes - written.Sum(p => p.Pack.Size) - newIndexBytes;
        var result = Result(plan, applied: true, freed, written, plan.RewritesIndex ? snapshot.IndexFiles.Count : 0, clock);
        AuditLog.Append(repository, new AuditSubject("prune"), AuditResults.Succeeded, null,
            $"{Purpose}: {result.PacksRemoved} pack(s) removed, {result.PacksRewritten} rewritten into {result.PacksWritten}, {result.UnindexedPacksRemoved} unindexed removed, {freed} bytes freed", null, observer);
        return result;
    }

    /// <summary>
    /// Every chunk a manifest names, with one backup naming it. A manifest that cannot be read stops the prune:
    /// its chunks are unknown, and deleting them would destroy a backup.
    /// </summary>
    private Dictionary<ChunkId, string> ReferencedChunks(CancellationToken cancel)
    {
        var manifests = repository.ListManifests(observer, cancel);
        _manifests = manifests;
        var listed = repository.Store.List(BackupRepository.BackupsPrefix, cancel).Count(k => k.EndsWith("/manifest.json", StringComparison.Ordinal));
        if (listed != manifests.Count)
            throw new BackupIntegrityException("ManifestUnreadable",
                $"{listed - manifests.Count} manifest(s) in {repository.Location} could not be read (see the warnings); prune cannot know which chunks they use. Nothing was changed.",
                "Run Test-BackupIntegrity on them; restore the manifests from a copy or Remove-Backup the damaged backups, then prune again.");
        var referenced = new Dictionary<ChunkId, string>();
        foreach (var manifest in manifests)
        foreach (var chunk in manifest.Objects.Values.SelectMany(o => o.Chunks ?? []))
            referenced.TryAdd(ChunkId.Parse(chunk), manifest.Id);
        return referenced;
    }

    /// <summary>Copies live chunks out of the packs being rewritten into new packs, checking each chunk's id on the way.</summary>
    private List<IndexedPack> CopyLiveChunks(IReadOnlyList<ChunkCopy> copies, BackupKeyRing keys, ChunkHasher hasher, CancellationToken cancel)
    {
        var written = new List<IndexedPack>();
        var compression = CompressionSettings.Parse(repository.Config.Defaults.Compression, repository.Config.Defaults.CompressionLevel);
        var packSize = repository.Config.Chunking!.PackSize;
        PackWriter? pack = null;
        void Close()
        {
            if (pack is null) return;
            using var finished = pack;
            pack = null;
            var reference = finished.Finish();
            written.Add(new IndexedPack
            {
                Pack = reference,
                Chunks = finished.Entries.Select(e => new IndexedChunk { Id = e.Id.ToString(), Offset = e.Offset, Length = e.Length, RawLength = e.RawLength }).ToList(),
            });
        }
        using var compressor = new ChunkCompressor(compression); // one zstd context for every copied chunk
        try
        {
            foreach (var group in copies.GroupBy(c => c.From.Id))
            {
                var from = group.First().From;
                var dataKey = DataKeyWrapper.Unwrap(keys.Find(from.KeyId), from.WrappedKey, PackFormat.DataKeyAssociatedData(from.Id));
                try
                {
                    foreach (var copy in group)
                    {
                        cancel.ThrowIfCancellationRequested();
                        var blob = repository.Store.ReadRange(from.Key, copy.Entry.Offset, copy.Entry.Length, cancel);
                        var where = $"chunk {copy.Id} in pack {from.Key}";
                        if (blob.Length != copy.Entry.Length)
                            throw new BackupIntegrityException("PackTruncated", $"{where}: the pack ends before the chunk (offset {copy.Entry.Offset}, {copy.Entry.Length} bytes). Nothing was deleted.");
                        var raw = PackBlob.Decode(blob, dataKey, from.Compression, copy.Entry.RawLength, copy.Id, hasher, where);
                        pack ??= new PackWriter(repository.Store, keys.Current, compression, repository.Config.Defaults.SegmentSize);
                        pack.Add(copy.Id, raw, compressor);
                        if (pack.Size >= packSize) Close();
                    }
                }
                finally { CryptographicOperations.ZeroMemory(dataKey); }
            }
            Close();
            return written;
        }
        catch
        {
            pack?.Dispose();
            // Packs already finished are unindexed: the next prune removes them. Nothing old was touched.
            throw;
        }
    }

    private void DeleteAll(IReadOnlyList<string> keys, string midPoint, CancellationToken cancel)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            if (i == keys.Count / 2 && keys.Count > 1) FaultPoint.Reached(midPoint);
            cancel.ThrowIfCancellationRequested();
            repository.Store.Delete(keys[i], cancel);
        }
    }

    private PruneResult Result(PrunePlan plan, bool applied, long freed, List<IndexedPack> written, int indexFiles, Stopwatch clock) => new()
    {
        Repository = repository.Location,
        Applied = applied,
        PacksRemoved = plan.Unused.Count,
        PacksRewritten = plan.Rewrite.Count,
        PacksWritten = written.Count,
        UnindexedPacksRemoved = plan.Unindexed.Count,
        ChunksKept = plan.ReferencedChunks,
        ChunksRepacked = plan.Copies.Count,
        BytesFreed = freed,
        IndexFilesReplaced = indexFiles,
        Duration = clock.Elapsed,
    };
}
