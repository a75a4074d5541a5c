using System.Security.Cryptography;
using Amazon.S3.Model;
using BackupTools.Core.Engines.S3Bucket;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Core.Verification;
using BackupTools.Tests.Servers;
using BackupTools.Tests.Storage;
using Xunit;

namespace BackupTools.Tests.Engines;

/// <summary>An S3 bucket prefix as a source (Backup-S3Bucket / Restore-S3Bucket -InPlace) against the conformance suite, on the test S3 server.</summary>
[Collection("servers")]
public sealed class S3BucketConformanceTests : EngineConformanceTests
{
    private const string Prefix = "photos";
    private readonly S3TestBucket _bucket = new();

    public S3BucketConformanceTests()
    {
        var random = new Random(11);
        for (var i = 0; i < 12; i++)
        {
            var content = new byte[200_000];
            random.NextBytes(content);
            Put($"img-{i:D2}.bin", content);
        }
    }

    // The test server does not check signatures: a secret key of our own, so the secret scans look for something distinctive.
    private const string SecretKey = "conformance-s3-secret-91bc";
    private static StorageCredential Credential => new(TestServers.S3.AccessKey, SecretKey);
    private string Source => _bucket.Uri(Prefix);

    private void Put(string key, byte[] content) =>
        _bucket.Client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket.Name, Key = $"{Prefix}/{key}", InputStream = new MemoryStream(content) }).GetAwaiter().GetResult();

    protected override string Engine => S3BucketBackupOperation.EngineName;
    protected override string? Secret => SecretKey;
    protected override RestoreTestTarget RestoreTestTarget => new(null, null, null, null, null, null);

    protected override BackupRecord Backup(IOperationObserver observer, CancellationToken cancel) =>
        new S3BucketBackupOperation(observer).Run(new S3BucketBackupRequest(new RepositoryReference(Repo), Source, Credential, "photos", false, null, Keys, LockTimeout), cancel);

    protected override string Fingerprint() => string.Join("\n", _bucket.AllKeys().Where(k => k.StartsWith(Prefix + "/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Select(key =>
    {
        using var response = _bucket.Client.GetObjectAsync(_bucket.Name, key).GetAwaiter().GetResult();
        return $"{key} {Convert.ToHexString(SHA256.HashData(response.ResponseStream))}";
    }));

    protected override void Change()
    {
        _bucket.Client.DeleteObjectAsync(_bucket.Name, $"{Prefix}/img-03.bin").GetAwaiter().GetResult();
        Put("img-05.bin", "rewritten after the backup"u8.ToArray());
        Put("added-after-backup.txt", "new"u8.ToArray());
    }

    protected override Func<string, Func<string, string, bool>, string?> Restore => (id, shouldProcess) =>
        new S3BucketRestoreOperation(Observer).Run(new S3BucketRestoreRequest(new RepositoryReference(Repo), id, null, Credential, true, Keys, LockTimeout, shouldProcess),
            CancellationToken.None)?.SafetyBackupId;

    public override void Dispose()
    {
        _bucket.Dispose();
        base.Dispose();
    }
}
