using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.S3Bucket;

/// <summary>Test-BackupIntegrity's content check of a bucket backup's data: every frame whole, every object's SHA-256 right.</summary>
public sealed class S3BucketDataValidator : IContentValidator
{
    public string Name => "objects";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        long bytes = 0;
        var frames = S3ObjectFrames.Read(raw, (entry, _) => bytes += entry.Size, $"the data of backup {manifest.Id}", CancellationToken.None);
        var expected = manifest.EngineInfo?["changedObjects"]?.GetValue<long>();
        if (expected is { } count && count != frames)
            throw new Errors.BackupIntegrityException("S3BucketDataInvalid", $"the data of backup {manifest.Id} holds {frames} object(s), its manifest says {count}.");
        return $"{frames} object(s), {bytes} bytes, each SHA-256 matches";
    }
}

/// <summary>The index: parses, and names a holder and a hash for every object.</summary>
public sealed class S3BucketIndexValidator : IContentValidator
{
    public string Name => "index";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        using var buffer = new MemoryStream();
        raw.CopyTo(buffer);
        var index = S3BucketIndex.Parse(buffer.ToArray(), $"the index of backup {manifest.Id}");
        var incomplete = index.Objects.Where(o => o.Holder is null || o.Sha256 is null).Select(o => o.Key).Take(3).ToList();
        if (incomplete.Count > 0)
            throw new Errors.BackupIntegrityException("S3BucketIndexInvalid", $"the index of backup {manifest.Id} lacks a holder or hash for {string.Join(", ", incomplete)}.");
        return $"{index.Objects.Count} object(s), {index.Deleted.Count} deleted since the parent";
    }
}
