using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Storage;

/// <summary>A fresh bucket on the shared test S3 server (fauxqs), emptied and removed on Dispose.</summary>
public sealed class S3TestBucket : IDisposable
{
    public S3TestBucket(string? endpoint = null)
    {
        Endpoint = endpoint ?? TestServers.S3.Endpoint;
        Name = "bt-" + Guid.NewGuid().ToString("N")[..20];
        Client = NewClient(Endpoint);
        Client.PutBucketAsync(Name).GetAwaiter().GetResult();
    }

    public string Endpoint { get; }
    public string Name { get; }
    public AmazonS3Client Client { get; }

    /// <summary>The repository URI for a prefix in this bucket.</summary>
    public string Uri(string prefix = "repo") => $"s3://{Name}/{prefix}?endpoint={System.Uri.EscapeDataString(Endpoint)}";

    public static AmazonS3Client NewClient(string endpoint) =>
        new(new BasicAWSCredentials(TestServers.S3.AccessKey, TestServers.S3.SecretKey),
            new AmazonS3Config { ServiceURL = endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    public List<string> AllKeys()
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = Name };
        while (true)
        {
            var page = Client.ListObjectsV2Async(request).GetAwaiter().GetResult();
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            if (page.IsTruncated != true) return keys;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    public void Dispose()
    {
        try
        {
            foreach (var chunk in AllKeys().Chunk(500))
                Client.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = Name, Objects = chunk.Select(k => new KeyVersion { Key = k }).ToList() }).GetAwaiter().GetResult();
            Client.DeleteBucketAsync(Name).GetAwaiter().GetResult();
        }
        catch (Exception) { /* a stopped private server: its storage dir is removed by its owner */ }
        Client.Dispose();
    }
}
