using System.Text.Json.Serialization;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>repository.json's "chunking" section (format 2). See docs/repository-format.md, "Format 2".</summary>
public sealed class ChunkingConfig
{
    public const string GearAlgorithm = "fastcdc-gear-v1";
    public const int DefaultPackSize = 16 * 1024 * 1024;

    [JsonPropertyName("algorithm")] public string Algorithm { get; init; } = GearAlgorithm;
    [JsonPropertyName("minSize")] public int MinSize { get; init; } = ChunkerParameters.Default.MinSize;
    [JsonPropertyName("averageSize")] public int AverageSize { get; init; } = ChunkerParameters.Default.AverageSize;
    [JsonPropertyName("maxSize")] public int MaxSize { get; init; } = ChunkerParameters.Default.MaxSize;
    /// <summary>A pack is closed once its stored size reaches this.</summary>
    [JsonPropertyName("packSize")] public int PackSize { get; init; } = DefaultPackSize;
    /// <summary>The repository's chunk secret, once per key-encryption key that may write (created by the first backup).</summary>
    [JsonPropertyName("secrets")] public List<WrappedChunkSecret> Secrets { get; init; } = new();

    [JsonIgnore] public ChunkerParameters Parameters => new(MinSize, AverageSize, MaxSize);
}

public sealed class WrappedChunkSecret
{
    [JsonPropertyName("keyId")] public required string KeyId { get; init; }
    /// <summary>DataKeyWrapper output (AES-256-GCM, base64) with associated data "chunk-secret:" + repository id.</summary>
    [JsonPropertyName("wrapped")] public required string Wrapped { get; init; }
}
