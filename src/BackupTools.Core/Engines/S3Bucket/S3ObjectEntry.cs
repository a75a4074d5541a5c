using System.Text.Json;
using System.Text.Json.Serialization;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.S3Bucket;

/// <summary>
/// One object of a backed-up bucket prefix: its key (relative to the prefix), what S3 says about it, its SHA-256,
/// and which backup of the chain holds its bytes (<see cref="Holder"/>: this backup, or an earlier one when the
/// object was unchanged).
/// </summary>
public sealed record S3ObjectEntry
{
    [JsonPropertyName("key")] public required string Key { get; init; }
    [JsonPropertyName("size")] public required long Size { get; init; }
    [JsonPropertyName("etag")] public required string ETag { get; init; }
    [JsonPropertyName("lastModified")] public required DateTimeOffset LastModified { get; init; }
    [JsonPropertyName("contentType")] public string? ContentType { get; init; }
    [JsonPropertyName("cacheControl")] public string? CacheControl { get; init; }
    [JsonPropertyName("contentDisposition")] public string? ContentDisposition { get; init; }
    [JsonPropertyName("contentEncoding")] public string? ContentEncoding { get; init; }
    [JsonPropertyName("contentLanguage")] public string? ContentLanguage { get; init; }
    [JsonPropertyName("metadata")] public Dictionary<string, string> Metadata { get; init; } = new();
    [JsonPropertyName("tags")] public Dictionary<string, string> Tags { get; init; } = new();
    [JsonPropertyName("sha256")] public string? Sha256 { get; init; }
    [JsonPropertyName("holder")] public string? Holder { get; init; }

    /// <summary>Unchanged since the previous backup: same ETag, size and modification time.</summary>
    public bool SameVersionAs(string etag, long size, DateTimeOffset lastModified) =>
        ETag == etag && Size == size && LastModified.ToUniversalTime() == lastModified.ToUniversalTime();
}

/// <summary>
/// The "index" object of an S3 bucket backup: the whole prefix as it was (every object with its holder) plus the
/// keys deleted since the parent backup. A restore needs only this and the holders' data objects.
/// </summary>
public sealed class S3BucketIndex
{
    public const string ObjectRole = "index";
    public const string FormatName = "backuptools-s3-index";

    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    [JsonPropertyName("formatVersion")] public int FormatVersion { get; init; } = 1;
    [JsonPropertyName("source")] public required string Source { get; init; }
    [JsonPropertyName("objects")] public required List<S3ObjectEntry> Objects { get; init; }
    [JsonPropertyName("deleted")] public List<string> Deleted { get; init; } = [];

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, Options);

    public static S3BucketIndex Parse(byte[] bytes, string what)
    {
        try
        {
            var index = JsonSerializer.Deserialize<S3BucketIndex>(bytes, Options);
            if (index?.Format != FormatName || index.FormatVersion != 1)
                throw new BackupIntegrityException("S3BucketIndexInvalid", $"{what} is not a version 1 S3 bucket index.");
            return index;
        }
        catch (JsonException e)
        {
            throw new BackupIntegrityException("S3BucketIndexInvalid", $"{what} is not valid JSON: {e.Message}", inner: e);
        }
    }

    internal static JsonSerializerOptions JsonOptions => Options;
}
