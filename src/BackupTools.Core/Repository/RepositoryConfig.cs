using System.Text.Json.Serialization;

namespace BackupTools.Core.Repository;

/// <summary>repository.json: identifies a folder/bucket as a BackupTools repository and holds its defaults.</summary>
public sealed class RepositoryConfig
{
    public const string FormatName = "backuptools-repository";
    /// <summary>The newest format this version reads: 1 (one object per backup) or 2 (chunked, deduplicated).</summary>
    public const int CurrentFormatVersion = 2;
    /// <summary>What a new repository gets when no format is asked for: chunked, deduplicated, always encrypted.</summary>
    public const int NewRepositoryFormatVersion = 2;
    /// <summary>What a repository.json without "formatVersion" is: those were written before v2 existed, so always v1.
    /// Kept apart from NewRepositoryFormatVersion on purpose: changing what new repositories get must not reinterpret old ones.</summary>
    public const int MissingFieldFormatVersion = 1;
    public const int ChunkedFormatVersion = 2;

    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    [JsonPropertyName("formatVersion")] public int FormatVersion { get; init; } = MissingFieldFormatVersion;
    [JsonPropertyName("id")] public string Id { get; init; } = Guid.NewGuid().ToString("N");
    [JsonPropertyName("createdAt")] public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    [JsonPropertyName("defaults")] public RepositoryDefaults Defaults { get; init; } = new();
    /// <summary>Format 2 only: how data is cut into chunks and packed, and the wrapped chunk secret.</summary>
    [JsonPropertyName("chunking")] public Chunked.ChunkingConfig? Chunking { get; init; }

    [JsonIgnore] public bool IsChunked => FormatVersion >= ChunkedFormatVersion;
}

public sealed class RepositoryDefaults
{
    /// <summary>zstd | gzip | none.</summary>
    [JsonPropertyName("compression")] public string Compression { get; init; } = "zstd";
    [JsonPropertyName("compressionLevel")] public int? CompressionLevel { get; init; }
    /// <summary>When true, backups without a key are refused.</summary>
    [JsonPropertyName("requireEncryption")] public bool RequireEncryption { get; init; }
    [JsonPropertyName("segmentSize")] public int SegmentSize { get; init; } = 64 * 1024;

    /// <summary>These defaults as a repository of the format stores them: v2 always encrypts, so it requires encryption.</summary>
    public RepositoryDefaults For(int formatVersion) => formatVersion < RepositoryConfig.ChunkedFormatVersion || RequireEncryption ? this : new()
    {
        Compression = Compression,
        CompressionLevel = CompressionLevel,
        RequireEncryption = true,
        SegmentSize = SegmentSize,
    };

    /// <summary>What differs between an existing repository's defaults and those asked for, in words (empty: the same).</summary>
    public static IReadOnlyList<string> Differences(RepositoryDefaults existing, RepositoryDefaults asked)
    {
        var differences = new List<string>();
        if (!string.Equals(existing.Compression, asked.Compression, StringComparison.OrdinalIgnoreCase))
            differences.Add($"compression is {existing.Compression}, not {asked.Compression}");
        if (existing.CompressionLevel != asked.CompressionLevel)
            differences.Add($"compression level is {existing.CompressionLevel?.ToString() ?? "the default"}, not {asked.CompressionLevel?.ToString() ?? "the default"}");
        if (existing.RequireEncryption != asked.RequireEncryption)
            differences.Add(existing.RequireEncryption ? "it requires encryption" : "it does not require encryption");
        if (existing.SegmentSize != asked.SegmentSize)
            differences.Add($"segment size is {existing.SegmentSize}, not {asked.SegmentSize}");
        return differences;
    }
}
