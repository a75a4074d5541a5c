using BackupTools.Core.Errors;
using BackupTools.Core.Keys;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// The quick part of checking a chunked object without reading its data: every chunk is in the index, and every
/// pack holding one exists with the size the index recorded. Names what is missing or wrong.
/// </summary>
public static class PackPresenceCheck
{
    public static (bool Passed, string Detail) Run(BackupRepository repository, ManifestObject expected, BackupKeyRing? keys, CancellationToken cancel = default)
    {
        if (expected.Chunks is null) return (false, $"{expected.Key} has no chunk list");
        if (keys is null || keys.IsEmpty) return (false, "KeyRequired: a chunked repository's index can only be read with its key");
        List<ChunkLocation> locations;
        try
        {
            repository.ChunkIndex.Refresh(repository.Store, keys, cancel);
            locations = ChunkedReadStream.Locate(repository.ChunkIndex, expected.Chunks.Select(ChunkId.Parse).ToList(), expected.Key).ToList();
        }
        catch (BackupToolsException e) { return (false, $"{e.ErrorId}: {e.Message}"); }
        var problems = new List<string>();
        foreach (var pack in locations.Select(l => l.Pack).DistinctBy(p => p.Id))
        {
            cancel.ThrowIfCancellationRequested();
            var size = repository.Store.SizeOf(pack.Key, cancel);
            if (size is null) problems.Add($"PackMissing: {pack.Key} is missing");
            else if (size != pack.Size) problems.Add($"PackSizeMismatch: {pack.Key} holds {size} bytes, the index says {pack.Size}");
        }
        var packs = locations.Select(l => l.Pack.Id).Distinct().Count();
        return problems.Count == 0
            ? (true, $"{expected.Chunks.Count} chunk(s) in {packs} pack(s), all present")
            : (false, string.Join("; ", problems));
    }
}
