using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using BackupTools.Core.Storage;
using BackupTools.Core.Storage.S3;
using S3Location = BackupTools.Core.Storage.S3.S3Location;

namespace BackupTools.Tests.Storage;

/// <summary>Large streaming uploads: bounded buffers, part checksums, retry of a failed part.</summary>
public sealed class S3MultipartTests : IDisposable
{
    private const int PartSize = 8 << 20;
    private readonly S3TestBucket _bucket = new();

    private S3BackupStore NewStore(string endpoint, string prefix, RetryPolicy? retry = null) =>
        new(S3Location.Parse($"s3://{_bucket.Name}/{prefix}?endpoint={Uri.EscapeDataString(endpoint)}"), new StorageCredential("test", "test"), retry);

    /// <summary>Deterministic incompressible bytes, produced chunk by chunk so the test itself holds no 210 MB array.</summary>
    private static IEnumerable<byte[]> Chunks(long total, int chunk, int seed)
    {
        var random = new Random(seed);
        for (long done = 0; done < total;)
        {
            var data = new byte[(int)Math.Min(chunk, total - done)];
            random.NextBytes(data);
            done += data.Length;
            yield return data;
        }
    }

    [Fact]
    public async Task A_210_MB_object_streams_through_two_part_buffers_and_carries_our_sha256()
    {
        const long total = 210L << 20;
        using var store = NewStore(_bucket.Endpoint, "big");
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var partHashes = new List<byte[]>();
        using var part = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long inPart = 0;
        int peak, parts;
        using (var pending = (S3MultipartWriteStream)store.OpenWrite("backups/b1/data"))
        {
            // 3 MB + 1 writes never line up with the 8 MB parts.
            foreach (var data in Chunks(total, (3 << 20) + 1, 7))
            {
                pending.Write(data);
                whole.AppendData(data);
                for (var offset = 0; offset < data.Length;)
                {
                    var n = (int)Math.Min(data.Length - offset, PartSize - inPart);
                    part.AppendData(data, offset, n);
                    offset += n;
                    inPart += n;
                    if (inPart == PartSize) { partHashes.Add(part.GetHashAndReset()); inPart = 0; }
                }
            }
            if (inPart > 0) partHashes.Add(part.GetHashAndReset());
            pending.Commit();
            peak = pending.PeakBuffersHeld;
            parts = pending.PartsUploaded;
        }

        Assert.Equal(2, peak); // one filling, one uploading: 16 MB for a 210 MB object
        Assert.Equal(27, parts);
        Assert.Equal(total, store.SizeOf("backups/b1/data"));

        // The server holds the SHA-256 of our part SHA-256s: what we computed is what got stored.
        var head = await _bucket.Client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket.Name, Key = "big/backups/b1/data", ChecksumMode = ChecksumMode.ENABLED });
        var composite = Convert.ToBase64String(SHA256.HashData(partHashes.SelectMany(h => h).ToArray()));
        Assert.Equal($"{composite}-27", head.ChecksumSHA256);

        using var read = store.OpenRead("backups/b1/data");
        Assert.Equal(whole.GetHashAndReset(), SHA256.HashData(read));
    }

    [Fact]
    public async Task A_small_object_is_one_put_with_its_sha256_and_no_multipart_upload()
    {
        using var store = NewStore(_bucket.Endpoint, "small");
        var data = new byte[100_000];
        new Random(3).NextBytes(data);
        using (var pending = (S3MultipartWriteStream)store.OpenWrite("backups/s/data"))
        {
            pending.Write(data);
            pending.Commit();
            Assert.Equal(0, pending.PartsUploaded);
        }
        var head = await _bucket.Client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket.Name, Key = "small/backups/s/data", ChecksumMode = ChecksumMode.ENABLED });
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(data)), head.ChecksumSHA256);
    }

    [Fact]
    public void A_part_cut_off_by_a_network_outage_is_retried_and_the_object_completes()
    {
        // Uploads limited to 32 MiB/s, so part 2 (8 MiB) is still in flight when the network is cut one chunk later,
        // however fast or loaded the machine is (unlimited, it could finish first and part 3 start after the outage).
        using var proxy = new FlakyTcpProxy(new Uri(_bucket.Endpoint).Port, bytesPerSecond: 32L << 20);
        // Patient enough to outlast the 1.5 s outage: 8 attempts, 0.5 s doubling to 2 s.
        using var store = NewStore(proxy.Endpoint, "retry", new RetryPolicy(8, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2)));
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var pending = (S3MultipartWriteStream)store.OpenWrite("backups/r/data"))
        {
            var written = 0L;
            foreach (var data in Chunks(40L << 20, 1 << 20, 11))
            {
                pending.Write(data);
                whole.AppendData(data);
                written += data.Length;
                // Part 2 has just been handed to the uploader: cut the network under it.
                if (written == 17L << 20) proxy.CutFor(TimeSpan.FromMilliseconds(1500));
            }
            pending.Commit();
            Assert.Equal(5, pending.PartsUploaded);
            Assert.True(pending.PartRetries > 0, "no part met the outage: the test did not exercise a retry");
        }
        Assert.Equal(1, proxy.Cuts);
        using var read = store.OpenRead("backups/r/data");
        Assert.Equal(whole.GetHashAndReset(), SHA256.HashData(read));
    }

    [Fact]
    public async Task Disposing_an_uncommitted_upload_aborts_it_on_the_server()
    {
        using var server = new PrivateS3Server(); // its storage folder shows the parts of open uploads
        using (var admin = S3TestBucket.NewClient(server.Endpoint)) await admin.PutBucketAsync(_bucket.Name);
        using var store = NewStore(server.Endpoint, "abort");
        using (var pending = store.OpenWrite("backups/a/data"))
        {
            foreach (var data in Chunks(20L << 20, 1 << 20, 4)) pending.Write(data);
            Assert.True(server.PendingPartFiles() > 0, "no part reached the server before the abort");
        }
        Assert.Equal(0, server.PendingPartFiles());
        Assert.False(store.Exists("backups/a/data"));
    }

    public void Dispose() => _bucket.Dispose();
}
