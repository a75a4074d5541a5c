using BackupTools.Core.Repository;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Engines.S3Bucket;

/// <summary>Backup-S3Bucket: the bucket/prefix (an s3:// URI as for repositories) and its own access key.</summary>
public sealed record S3BucketBackupRequest(
    RepositoryReference Repository,
    string Source,
    StorageCredential? SourceCredential,
    string? Cell,
    bool Full,
    CompressionSettings? Compression,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>
/// Restore-S3Bucket: Target null = a new prefix next to the source (bt-restore/&lt;id&gt;/&lt;prefix&gt; in the source
/// bucket); InPlace = the source prefix itself, made exactly like the backup after a safety backup.
/// </summary>
public sealed record S3BucketRestoreRequest(
    RepositoryReference Repository,
    string Id,
    string? Target,
    StorageCredential? TargetCredential,
    bool InPlace,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess,
    bool SkipSafetyBackup = false);

public sealed class S3BucketRestoreResult : RestoreOutcome
{
    /// <summary>The bucket prefix restored into (the same as Destination).</summary>
    public required string Target { get; init; }
    public required int Objects { get; init; }
    public required long Bytes { get; init; }
    public required int Removed { get; init; }
}
