namespace BackupTools.Core.Repository.Chunked;

/// <summary>One chunk prune copies out of a pack it rewrites.</summary>
internal readonly record struct ChunkCopy(ChunkId Id, PackRef From, IndexedChunk Entry);

/// <summary>
/// What a prune will do, decided from the index files, the stored packs and the manifests alone (no journal): a
/// rerun after a crash recomputes the same decisions from whatever state the crash left (see docs/repository-format.md).
/// </summary>
internal sealed class PrunePlan
{
    /// <summary>Referenced chunks no stored, indexed pack holds (by backup id): prune refuses to touch anything then.</summary>
    public required IReadOnlyDictionary<ChunkId, string> Missing { get; init; }
    /// <summary>Indexed, stored packs no kept backup uses a chunk of.</summary>
    public required IReadOnlyList<PackRef> Unused { get; init; }
    /// <summary>Indexed, stored packs with at least the threshold of unused bytes: their live chunks are copied, then they go.</summary>
    public required IReadOnlyList<PackRef> Rewrite { get; init; }
    /// <summary>Chunks to copy out of <see cref="Rewrite"/> packs (those no kept pack also holds), in pack and offset order.</summary>
    public required IReadOnlyList<ChunkCopy> Copies { get; init; }
    /// <summary>Indexed, stored packs that stay as they are (with every entry they hold).</summary>
    public required IReadOnlyList<IndexedPack> Kept { get; init; }
    /// <summary>Stored packs no index file names: a killed backup's or a killed prune's. Under the exclusive lease nobody can still index them.</summary>
    public required IReadOnlyList<string> Unindexed { get; init; }
    /// <summary>Index entries for packs that are not stored (their chunks unused): dropped from the rewritten index.</summary>
    public required IReadOnlyList<string> IndexedButAbsent { get; init; }
    public required int ReferencedChunks { get; init; }

    /// <summary>Whether the index files must be replaced (a pack leaves the index); unindexed packs alone do not need it.</summary>
    public bool RewritesIndex => Unused.Count > 0 || Rewrite.Count > 0 || IndexedButAbsent.Count > 0;
    public bool HasWork => RewritesIndex || Unindexed.Count > 0;

    /// <summary>Decides per pack: used chunks are counted in every pack holding them, so a duplicate is never the only copy dropped.</summary>
    public static PrunePlan Make(IndexSnapshot snapshot, IReadOnlyDictionary<ChunkId, string> referenced, double repackUnusedFraction)
    {
        var holders = snapshot.ChunkHolders();
        var missing = new Dictionary<ChunkId, string>();
        foreach (var (chunk, backup) in referenced)
        {
            if (!holders.TryGetValue(chunk, out var packs) || !packs.Any(snapshot.Stored.ContainsKey)) missing[chunk] = backup;
        }
        var unused = new List<PackRef>();
        var rewrite = new List<IndexedPack>();
        var kept = new List<IndexedPack>();
        var absent = new List<string>();
        foreach (var (id, pack) in snapshot.Packs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!snapshot.Stored.ContainsKey(id)) { absent.Add(id); continue; }
            long total = 0, live = 0;
            foreach (var chunk in pack.Chunks)
            {
                total += chunk.Length;
                if (referenced.ContainsKey(ChunkId.Parse(chunk.Id))) live += chunk.Length;
            }
            if (live == 0) unused.Add(pack.Pack);
            else if (total - live > 0 && total - live >= repackUnusedFraction * total) rewrite.Add(pack);
            else kept.Add(pack);
        }
        var inKept = kept.SelectMany(p => p.Chunks).Select(c => ChunkId.Parse(c.Id)).ToHashSet();
        var copies = new List<ChunkCopy>();
        var copied = new HashSet<ChunkId>();
        foreach (var pack in rewrite)
        foreach (var chunk in pack.Chunks.OrderBy(c => c.Offset))
        {
            var id = ChunkId.Parse(chunk.Id);
            if (referenced.ContainsKey(id) && !inKept.Contains(id) && copied.Add(id)) copies.Add(new ChunkCopy(id, pack.Pack, chunk));
        }
        return new PrunePlan
        {
            Missing = missing, Unused = unused, Rewrite = rewrite.Select(p => p.Pack).ToList(), Copies = copies, Kept = kept,
            Unindexed = snapshot.Stored.Keys.Where(id => !snapshot.Packs.ContainsKey(id)).Order(StringComparer.Ordinal).ToList(),
            IndexedButAbsent = absent, ReferencedChunks = referenced.Count,
        };
    }
}
