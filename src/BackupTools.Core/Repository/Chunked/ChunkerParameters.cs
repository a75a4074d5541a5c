using BackupTools.Core.Errors;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// Chunk size limits of the content-defined chunker. Average must be a power of two (the cut masks are bit counts);
/// min &lt; average &lt; max. Stored in repository.json so every writer of a repository cuts the same way.
/// </summary>
public sealed record ChunkerParameters(int MinSize, int AverageSize, int MaxSize)
{
    /// <summary>New repositories: 512 KiB average (bench/README.md, "chunk sizes": 1 MiB stored ~1.09× after seven dailies).</summary>
    public static ChunkerParameters Default { get; } = new(256 * 1024, 512 * 1024, 4 * 1024 * 1024);

    /// <summary>What the first format-2 repositories were created with (their repository.json says so).</summary>
    public static ChunkerParameters FirstRelease { get; } = new(512 * 1024, 1024 * 1024, 8 * 1024 * 1024);

    /// <summary>
    /// Limits for an object's first chunk, or null for "the same as every other chunk". Small, so a header that changes
    /// on every backup (a dump's timestamp) costs one small chunk instead of one average one.
    /// </summary>
    public ChunkerParameters? FirstChunk { get; init; }

    /// <summary>The default with its small first chunk (limits / 8: 32 KiB / 64 KiB / 512 KiB).</summary>
    public static ChunkerParameters ForNewRepository() => Default with { FirstChunk = new(Default.MinSize / 8, Default.AverageSize / 8, Default.MaxSize / 8) };

    public void Validate()
    {
        if (MinSize < 64 || MinSize >= AverageSize || AverageSize >= MaxSize || (AverageSize & (AverageSize - 1)) != 0 || MaxSize > 64 * 1024 * 1024)
            throw new BackupIntegrityException("ChunkerParametersInvalid",
                $"Chunk sizes min {MinSize} / average {AverageSize} / max {MaxSize} are invalid: need 64 ≤ min < average < max ≤ 64 MiB, average a power of two.");
        if (FirstChunk is { } first)
        {
            if (first.FirstChunk is not null) throw new BackupIntegrityException("ChunkerParametersInvalid", "A first chunk's limits cannot have a first chunk of their own.");
            first.Validate();
        }
    }

    /// <summary>log2 of the average size: the number of hash bits a cut point must have zero.</summary>
    public int AverageBits => System.Numerics.BitOperations.Log2((uint)AverageSize);

    /// <summary>The largest chunk either rule can cut (what a chunking buffer must hold).</summary>
    public int LargestChunk => Math.Max(MaxSize, FirstChunk?.MaxSize ?? 0);
}
