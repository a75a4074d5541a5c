using System.Security.Cryptography;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace BackupTools.Core.Storage.S3;

/// <summary>
/// A bucket prefix on AWS S3 or an S3-compatible service (MinIO, Ceph, Aliyun OSS…). Objects become
/// visible only when complete (single PUT or CompleteMultipartUpload), so — as on disk — a key is
/// either absent or whole. Every call that fails transiently throws <see cref="StoreUnavailableException"/>.
/// </summary>
public sealed class S3BackupStore : IBackupStore, IPreparableStore, IRangeReadableStore
{
    public S3BackupStore(S3Location location, StorageCredential? credential = null, RetryPolicy? partRetry = null)
    {
        Target = location;
        PartRetry = partRetry ?? RetryPolicy.Default;
        Client = CreateClient(location, credential);
    }

    public S3Location Target { get; }
    public string Location => Target.ToString();
    internal IAmazonS3 Client { get; }
    internal RetryPolicy PartRetry { get; }

    /// <summary>Lease claims older than this are left-overs of a crashed claimer and ignored.</summary>
    public static TimeSpan ClaimLifetime { get; set; } = TimeSpan.FromSeconds(30);

    public PendingObject OpenWrite(string key, CancellationToken cancel = default) => new S3MultipartWriteStream(this, CheckKey(key), cancel);

    public Stream OpenRead(string key, CancellationToken cancel = default) => S3ReadStream.Open(this, CheckKey(key), cancel);

    public byte[] ReadRange(string key, long offset, int length, CancellationToken cancel = default)
    {
        if (length == 0) return [];
        using var response = Call(key, () => Client.GetObjectAsync(new GetObjectRequest
        {
            BucketName = Target.Bucket,
            Key = Target.KeyOf(CheckKey(key)),
            ByteRange = new ByteRange(offset, offset + length - 1),
        }, cancel), cancel);
        using var body = new MemoryStream(length);
        response.ResponseStream.CopyTo(body);
        return body.ToArray();
    }

    public bool Exists(string key, CancellationToken cancel = default) => SizeOf(key, cancel) != null;

    public long? SizeOf(string key, CancellationToken cancel = default)
    {
        CheckKey(key);
        try
        {
            var head = Call(key, () => Client.GetObjectMetadataAsync(Target.Bucket, Target.KeyOf(key), cancel), cancel);
            return head.ContentLength;
        }
        catch (StoreObjectNotFoundException)
        {
            return null;
        }
    }

    public IEnumerable<string> List(string prefix, CancellationToken cancel = default)
    {
        // Prefixes name folders, as on disk: "backups" lists "backups/…", never "backups2/…".
        if (prefix.Length > 0 && !prefix.EndsWith('/')) prefix += "/";
        var request = new ListObjectsV2Request { BucketName = Target.Bucket, Prefix = Target.KeyOf(prefix) };
        var strip = Target.Prefix.Length == 0 ? 0 : Target.Prefix.Length + 1;
        while (true)
        {
            var page = Call(prefix, () => Client.ListObjectsV2Async(request, cancel), cancel);
            foreach (var item in page.S3Objects ?? [])
                yield return item.Key[strip..];
            if (page.IsTruncated != true) yield break;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    internal IEnumerable<S3Object> ListRaw(string prefix, CancellationToken cancel = default)
    {
        var request = new ListObjectsV2Request { BucketName = Target.Bucket, Prefix = Target.KeyOf(prefix) };
        while (true)
        {
            var page = Call(prefix, () => Client.ListObjectsV2Async(request, cancel), cancel);
            foreach (var item in page.S3Objects ?? []) yield return item;
            if (page.IsTruncated != true) yield break;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    public void Delete(string key, CancellationToken cancel = default)
    {
        CheckKey(key);
        Call(key, () => Client.DeleteObjectAsync(Target.Bucket, Target.KeyOf(key), cancel), cancel);
    }

    public bool TryCreateExclusive(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) =>
        new S3ExclusiveCreate(this, CheckKey(key), cancel).Run(content.ToArray());

    public void Replace(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => Put(CheckKey(key), content.ToArray(), ifNoneMatch: false, cancel: cancel);

    /// <summary>One PUT with our SHA-256 sent along; the checksum the server stored is compared to ours.</summary>
    internal PutObjectResponse Put(string key, byte[] content, bool ifNoneMatch, int length = -1, CancellationToken cancel = default)
    {
        if (length < 0) length = content.Length;
        var sha = Convert.ToBase64String(SHA256.HashData(content.AsSpan(0, length)));
        var response = Call(key, () =>
        {
            var request = new PutObjectRequest
            {
                BucketName = Target.Bucket,
                Key = Target.KeyOf(key),
                InputStream = new MemoryStream(content, 0, length, writable: false),
                ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
                ChecksumSHA256 = sha,
                IfNoneMatch = ifNoneMatch ? "*" : null,
            };
            ApplyWriteOptions(request);
            return Client.PutObjectAsync(request, cancel);
        }, cancel);
        if (response.ChecksumSHA256 is { Length: > 0 } stored && stored != sha)
            throw S3MultipartWriteStream.ChecksumMismatch(this, key, sha, stored);
        return response;
    }

    internal void ApplyWriteOptions(PutObjectRequest request)
    {
        if (Target.ServerSideEncryption != null) request.ServerSideEncryptionMethod = new ServerSideEncryptionMethod(Target.ServerSideEncryption);
        if (Target.KmsKeyId != null) request.ServerSideEncryptionKeyManagementServiceKeyId = Target.KmsKeyId;
        if (Target.StorageClass != null) request.StorageClass = new S3StorageClass(Target.StorageClass);
    }

    internal void ApplyWriteOptions(InitiateMultipartUploadRequest request)
    {
        if (Target.ServerSideEncryption != null) request.ServerSideEncryptionMethod = new ServerSideEncryptionMethod(Target.ServerSideEncryption);
        if (Target.KmsKeyId != null) request.ServerSideEncryptionKeyManagementServiceKeyId = Target.KmsKeyId;
        if (Target.StorageClass != null) request.StorageClass = new S3StorageClass(Target.StorageClass);
    }

    /// <summary>Runs one SDK call synchronously and translates its failure; a cancelled call stays a cancellation.</summary>
    internal T Call<T>(string? key, Func<Task<T>> call, CancellationToken cancel = default)
    {
        try
        {
            return Task.Run(call, cancel).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            throw S3Errors.Translate(e, Target, key);
        }
    }

    /// <summary>Creates the bucket if it is missing (Initialize-BackupRepository on a fresh bucket).</summary>
    internal void EnsureBucket()
    {
        try
        {
            Call(null, () => Client.GetBucketLocationAsync(Target.Bucket));
        }
        catch (Errors.BackupToolsException e) when (e.ErrorId == "S3BucketNotFound")
        {
            Call(null, () => Client.PutBucketAsync(Target.Bucket));
        }
        catch (Errors.BackupToolsException e) when (e.ErrorId == "S3AccessDenied")
        {
            // Keys limited to objects may not ask about buckets: assume it exists; object calls tell for sure.
        }
    }

    /// <summary>Creates the bucket if missing; a new repository goes under an empty prefix only.</summary>
    public void PrepareForNewRepository()
    {
        EnsureBucket();
        if (List("").Any())
            throw new Errors.BackupInputException("RepositoryFolderNotEmpty", "Path",
                $"{Location} already holds objects and is not a repository.", "Choose an empty bucket or a new key prefix (s3://bucket/new-prefix).");
    }

    public void Dispose() => Client.Dispose();

    private static string CheckKey(string key)
    {
        if (key.Length == 0 || key.StartsWith('/') || key.Split('/').Any(p => p is "" or "." or ".."))
            throw new Errors.BackupToolsException("StoreKeyInvalid", Errors.FailureKind.InvalidArgument, $"Invalid object key '{key}'.");
        return key;
    }

    private static AmazonS3Client CreateClient(S3Location location, StorageCredential? credential)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = location.PathStyle,
            // Our own RetryPolicy backs off over longer spans; one quick SDK retry covers dropped connections.
            MaxErrorRetry = 1,
            Timeout = TimeSpan.FromMinutes(5),
            // Checksums are sent explicitly (SHA-256); no trailing CRC, which several S3-compatible servers reject.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (location.Endpoint != null)
        {
            config.ServiceURL = location.Endpoint;
            config.AuthenticationRegion = location.Region ?? Environment.GetEnvironmentVariable("AWS_REGION") ?? "us-east-1";
        }
        else if (location.Region != null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(location.Region);
        }
        return credential is null
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(credential.AccessKeyId, credential.SecretAccessKey), config);
    }
}
