using System.Text.Json.Serialization;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>repository.json's "chunking" section (format 2). See docs/repository-format.md, "Format 2".</summary>
public sealed class ChunkingConfig
{
    public const string GearAlgorithm = "fastcdc-gear-v1";
    public const int DefaultPackSize = 16 * 1024 * 1024;

    /// <summary>Absent fields read as <see cref="ChunkerParameters.FirstRelease"/>: what repositories made before they were all written had.</summary>
    [JsonPropertyName("algorithm")] public string Algorithm { get; init; } = GearAlgorithm;
    [JsonPropertyName("minSize")] public int MinSize { get; init; } = ChunkerParameters.FirstRelease.MinSize;
    [JsonPropertyName("averageSize")] public int AverageSize { get; init; } = ChunkerParameters.FirstRelease.AverageSize;
    [JsonPropertyName("maxSize")] public int MaxSize { get; init; } = ChunkerParameters.FirstRelease.MaxSize;
    /// <summary>Limits of each object's first chunk; absent (repositories made before it existed): the same as the others.</summary>
    [JsonPropertyName("firstChunk")] public ChunkSizes? FirstChunk { get; init; }
    /// <summary>How chunk ids are computed; absent means <see cref="ChunkId.HmacSha256Scheme"/> (the only scheme so far).</summary>
    [JsonPropertyName("chunkId")] public string? ChunkIdScheme { get; init; }
    /// <summary>A pack is closed once its stored size reaches this.</summary>
    [JsonPropertyName("packSize")] public int PackSize { get; init; } = DefaultPackSize;
    /// <summary>The repository's chunk secret, once per key-encryption key that may write (created by the first backup).</summary>
    [JsonPropertyName("secrets")] public List<WrappedChunkSecret> Secrets { get; init; } = new();

    /// <summary>Readers need to know how chunk ids are computed (they check every chunk they read against its id).</summary>
    public void EnsureReadable(string location)
    {
        if ((ChunkIdScheme ?? ChunkId.HmacSha256Scheme) != ChunkId.HmacSha256Scheme)
            throw new Errors.BackupIntegrityException("ChunkIdSchemeUnsupported",
                $"Repository {location} names chunks with '{ChunkIdScheme}', which this version does not know (it knows '{ChunkId.HmacSha256Scheme}').", "Use the BackupTools version that created the repository, or a newer one.");
    }

    /// <summary>Writers must also cut as the repository says, or its backups stop deduplicating against each other.</summary>
    public void EnsureWritable(string location)
    {
        EnsureReadable(location);
        if (Algorithm != GearAlgorithm)
            throw new Errors.BackupIntegrityException("ChunkingAlgorithmUnsupported",
                $"Repository {location} chunks with '{Algorithm}', which this version does not know (it knows '{GearAlgorithm}').", "Use the BackupTools version that created the repository, or a newer one.");
        Parameters.Validate();
    }

    [JsonIgnore] public ChunkerParameters Parameters => new(MinSize, AverageSize, MaxSize)
    {
        FirstChunk = FirstChunk is { } f ? new ChunkerParameters(f.MinSize, f.AverageSize, f.MaxSize) : null,
    };

    /// <summary>What a new repository records: the current defaults, written out so later defaults never change how it cuts.</summary>
    public static ChunkingConfig ForNewRepository()
    {
        var parameters = ChunkerParameters.ForNewRepository();
        var first = parameters.FirstChunk!;
        return new()
        {
            MinSize = parameters.MinSize, AverageSize = parameters.AverageSize, MaxSize = parameters.MaxSize,
            FirstChunk = new ChunkSizes { MinSize = first.MinSize, AverageSize = first.AverageSize, MaxSize = first.MaxSize },
            ChunkIdScheme = ChunkId.HmacSha256Scheme,
        };
    }
}

public sealed class ChunkSizes
{
    [JsonPropertyName("minSize")] public required int MinSize { get; init; }
    [JsonPropertyName("averageSize")] public required int AverageSize { get; init; }
    [JsonPropertyName("maxSize")] public required int MaxSize { get; init; }
}

public sealed class WrappedChunkSecret
{
    [JsonPropertyName("keyId")] public required string KeyId { get; init; }
    /// <summary>DataKeyWrapper output (AES-256-GCM, base64) with associated data "chunk-secret:" + repository id.</summary>
    [JsonPropertyName("wrapped")] public required string Wrapped { get; init; }
}
