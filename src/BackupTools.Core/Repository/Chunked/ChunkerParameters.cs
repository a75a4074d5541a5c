using BackupTools.Core.Errors;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// Chunk size limits of the content-defined chunker. Average must be a power of two (the cut masks are bit counts);
/// min &lt; average &lt; max. Stored in repository.json so every writer of a repository cuts the same way.
/// </summary>
public sealed record ChunkerParameters(int MinSize, int AverageSize, int MaxSize)
{
    public static ChunkerParameters Default { get; } = new(512 * 1024, 1024 * 1024, 8 * 1024 * 1024);

    public void Validate()
    {
        if (MinSize < 64 || MinSize >= AverageSize || AverageSize >= MaxSize || (AverageSize & (AverageSize - 1)) != 0 || MaxSize > 64 * 1024 * 1024)
            throw new BackupIntegrityException("ChunkerParametersInvalid",
                $"Chunk sizes min {MinSize} / average {AverageSize} / max {MaxSize} are invalid: need 64 ≤ min < average < max ≤ 64 MiB, average a power of two.");
    }

    /// <summary>log2 of the average size: the number of hash bits a cut point must have zero.</summary>
    public int AverageBits => System.Numerics.BitOperations.Log2((uint)AverageSize);
}
