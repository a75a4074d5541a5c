using System.Text.Json.Serialization;

namespace BackupTools.Core.Repository;

/// <summary>repository.json: identifies a folder/bucket as a BackupTools repository and holds its defaults.</summary>
public sealed class RepositoryConfig
{
    public const string FormatName = "backuptools-repository";
    public const int CurrentFormatVersion = 1;

    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    [JsonPropertyName("formatVersion")] public int FormatVersion { get; init; } = CurrentFormatVersion;
    [JsonPropertyName("id")] public string Id { get; init; } = Guid.NewGuid().ToString("N");
    [JsonPropertyName("createdAt")] public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    [JsonPropertyName("defaults")] public RepositoryDefaults Defaults { get; init; } = new();
}

public sealed class RepositoryDefaults
{
    /// <summary>zstd | gzip | none.</summary>
    [JsonPropertyName("compression")] public string Compression { get; init; } = "zstd";
    [JsonPropertyName("compressionLevel")] public int? CompressionLevel { get; init; }
    /// <summary>When true, backups without a key are refused.</summary>
    [JsonPropertyName("requireEncryption")] public bool RequireEncryption { get; init; }
    [JsonPropertyName("segmentSize")] public int SegmentSize { get; init; } = 64 * 1024;
}
