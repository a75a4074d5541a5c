using System.Diagnostics;
using BackupTools.Core.Audit;
using System.Security.Cryptography;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Repository.Chunked;

namespace BackupTools.Core.Verification;

/// <summary>
/// Test-BackupIntegrity -Repository on a format-2 repository. The quick check reads only the index files, the pack
/// listing and the manifests: every index file opens, every indexed pack is stored with the size the index says,
/// every chunk a manifest names is indexed in a stored pack. With a subset (-ReadData: all) each selected pack is
/// also read whole (<see cref="PackVerifier"/>). Each problem names its pack, index file or backups. Needs no lock:
/// a prune running meanwhile can make packs vanish, so run it when no prune runs.
/// </summary>
public sealed class RepositoryChecker(BackupRepository repository, IOperationObserver observer)
{
    private const int NamedAtMost = 20;

    public RepositoryCheckResult Check(BackupKeyRing keys, PackSubset? readData, CancellationToken cancel)
    {
        if (!repository.Config.IsChunked)
            throw new BackupToolsException("RepositoryNotChunked", FailureKind.InvalidArgument,
                $"Repository {repository.Location} is format v{repository.Config.FormatVersion}: it has no packs or index to check.",
                "Check its backups instead: Get-Backup -Repository … | Test-BackupIntegrity.");
        var clock = Stopwatch.StartNew();
        var checks = new List<IntegrityCheck>();
        var snapshot = IndexSnapshot.Load(repository.Store, keys, cancel);
        checks.Add(snapshot.Unreadable.Count == 0
            ? new IntegrityCheck("index", true, $"{snapshot.IndexFiles.Count} index file(s) naming {snapshot.Packs.Count} pack(s)")
            : new IntegrityCheck("index", false, Named("IndexUnreadable", snapshot.Unreadable.Select(u => $"{u.Key} ({u.Value})"))));
        checks.Add(CheckPacks(snapshot));
        checks.Add(CheckReferences(snapshot, cancel));
        var unindexed = snapshot.Stored.Keys.Where(id => !snapshot.Packs.ContainsKey(id)).Select(PackFormat.KeyOf).ToList();
        checks.Add(new IntegrityCheck("packs:unindexed", true, unindexed.Count == 0 ? "every stored pack is indexed"
            : $"{unindexed.Count} pack(s) no index file names (a killed backup's or prune's; Optimize-BackupRepository removes them): {string.Join(", ", unindexed.Take(NamedAtMost))}"));
        var (read, bytes) = readData is null ? (0, 0L) : ReadPacks(snapshot, keys, readData, checks, cancel);
        var failed = checks.FirstOrDefault(c => !c.Passed);
        AuditLog.Append(repository, new AuditSubject("check"), failed is null ? AuditResults.Succeeded : AuditResults.Failed, null,
            failed is null ? $"{checks.Count} checks passed, {read} pack(s) read ({readData?.Text ?? "quick"})" : $"failed at {failed.Name}: {failed.Detail}",
            failed is null ? null : "RepositoryCheckFailed", observer);
        return new RepositoryCheckResult
        {
            Repository = repository.Location, Passed = checks.All(c => c.Passed), Checks = checks,
            IndexFiles = snapshot.IndexFiles.Count, Packs = snapshot.Stored.Count, PacksRead = read, BytesRead = bytes,
            Subset = readData?.Text, Duration = clock.Elapsed,
        };
    }

    private static IntegrityCheck CheckPacks(IndexSnapshot snapshot)
    {
        var problems = new List<string>();
        foreach (var (id, pack) in snapshot.Packs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!snapshot.Stored.TryGetValue(id, out var size)) problems.Add($"PackMissing: {pack.Pack.Key} is indexed but not stored");
            else if (size != pack.Pack.Size) problems.Add($"PackSizeMismatch: {pack.Pack.Key} holds {size} bytes, the index says {pack.Pack.Size}");
        }
        return problems.Count == 0
            ? new IntegrityCheck("packs", true, $"{snapshot.Packs.Count} indexed pack(s) stored with the indexed sizes")
            : new IntegrityCheck("packs", false, string.Join("; ", problems.Take(NamedAtMost)) + (problems.Count > NamedAtMost ? $"; … {problems.Count} in all" : ""));
    }

    private IntegrityCheck CheckReferences(IndexSnapshot snapshot, CancellationToken cancel)
    {
        var holders = snapshot.ChunkHolders();
        var manifests = repository.ListManifests(observer, cancel);
        var notIndexed = new Dictionary<string, int>(StringComparer.Ordinal);
        var inLostPacks = new Dictionary<string, int>(StringComparer.Ordinal);
        var chunks = 0;
        foreach (var manifest in manifests)
        foreach (var id in manifest.Objects.Values.SelectMany(o => o.Chunks ?? []).Distinct())
        {
            chunks++;
            if (!holders.TryGetValue(ChunkId.Parse(id), out var packs)) notIndexed[manifest.Id] = notIndexed.GetValueOrDefault(manifest.Id) + 1;
            else if (!packs.Any(snapshot.Stored.ContainsKey)) inLostPacks[manifest.Id] = inLostPacks.GetValueOrDefault(manifest.Id) + 1;
        }
        if (notIndexed.Count == 0 && inLostPacks.Count == 0)
            return new IntegrityCheck("chunks", true, $"{manifests.Count} backup(s): all {chunks} chunk reference(s) indexed in stored packs");
        var problems = notIndexed.Select(b => $"ChunkNotInIndex: backup {b.Key} names {b.Value} chunk(s) no index file lists")
            .Concat(inLostPacks.Select(b => $"PackMissing: backup {b.Key} has {b.Value} chunk(s) only in packs that are not stored"));
        return new IntegrityCheck("chunks", false, string.Join("; ", problems.Take(NamedAtMost)));
    }

    private (int Read, long Bytes) ReadPacks(IndexSnapshot snapshot, BackupKeyRing keys, PackSubset subset, List<IntegrityCheck> checks, CancellationToken cancel)
    {
        var secret = ChunkSecrets.ForReading(repository.Store, keys);
        using var hasher = new ChunkHasher(secret);
        CryptographicOperations.ZeroMemory(secret);
        var selected = snapshot.Packs.Values.Where(p => snapshot.Stored.ContainsKey(p.Pack.Id) && subset.Includes(p.Pack.Id)).OrderBy(p => p.Pack.Id, StringComparer.Ordinal).ToList();
        var failures = new List<string>();
        long bytes = 0;
        for (var i = 0; i < selected.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            observer.Progress("Reading packs", $"pack {i + 1} of {selected.Count}", bytes, null);
            try { bytes += PackVerifier.Verify(repository.Store, selected[i], keys, hasher, cancel); }
            catch (BackupToolsException e)
            {
                var key = selected[i].Pack.Key;
                failures.Add($"{e.ErrorId}: {(e.Message.Contains(key, StringComparison.Ordinal) ? e.Message : $"{key}: {e.Message}")}");
                observer.Verbose(failures[^1]);
            }
        }
        checks.Add(failures.Count == 0
            ? new IntegrityCheck("read-data", true, $"{selected.Count} of {snapshot.Packs.Count} indexed pack(s) read whole ({subset.Text}), {bytes} bytes, every chunk intact")
            : new IntegrityCheck("read-data", false, $"{failures.Count} of {selected.Count} pack(s) read ({subset.Text}) are damaged: {string.Join("; ", failures.Take(NamedAtMost))}"));
        return (selected.Count, bytes);
    }

    private static string Named(string errorId, IEnumerable<string> items) => $"{errorId}: {string.Join("; ", items.Take(NamedAtMost))}";
}
