using BackupTools.Core.Keys;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.S3Bucket;

internal static class S3BucketIndexReader
{
    /// <summary>A backup's index, its hashes checked to the end.</summary>
    public static S3BucketIndex Read(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys, CancellationToken cancel = default)
    {
        using var stream = repository.OpenObject(manifest, S3BucketIndex.ObjectRole, keys, cancel);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        stream.VerifyToEnd();
        return S3BucketIndex.Parse(buffer.ToArray(), $"the index of backup {manifest.Id}");
    }
}
