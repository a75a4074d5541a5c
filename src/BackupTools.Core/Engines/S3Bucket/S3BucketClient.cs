using Amazon.S3.Model;
using BackupTools.Core.Storage;
using BackupTools.Core.Storage.S3;
using S3Location = BackupTools.Core.Storage.S3.S3Location;

namespace BackupTools.Core.Engines.S3Bucket;

/// <summary>
/// A bucket prefix read or written object by object, with keys relative to the prefix. Built on the repository's
/// S3 store (same URI syntax, client settings and error translation).
/// </summary>
internal sealed class S3BucketClient : IDisposable
{
    private readonly S3BackupStore _store;

    public S3BucketClient(string uri, StorageCredential? credential)
    {
        Location = S3Location.Parse(uri);
        _store = new S3BackupStore(Location, credential);
    }

    public S3Location Location { get; }
    public string Bucket => Location.Bucket;

    /// <summary>The full key of a key relative to the prefix.</summary>
    public string FullKey(string relative) => Location.KeyOf(relative);

    public IEnumerable<S3Object> List()
    {
        var prefix = Location.Prefix.Length == 0 ? "" : Location.Prefix + "/";
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix };
        while (true)
        {
            var page = _store.Call(null, () => _store.Client.ListObjectsV2Async(request));
            foreach (var item in page.S3Objects ?? []) yield return item;
            if (page.IsTruncated != true) yield break;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    public string Relative(string fullKey) => Location.Prefix.Length == 0 ? fullKey : fullKey[(Location.Prefix.Length + 1)..];

    /// <summary>The object with its metadata; null when it was deleted since it was listed.</summary>
    public GetObjectResponse? Get(string relative)
    {
        try { return _store.Call(relative, () => _store.Client.GetObjectAsync(Bucket, FullKey(relative))); }
        catch (StoreObjectNotFoundException) { return null; }
    }

    /// <summary>Tags, asked only when S3 says there are some (x-amz-tagging-count): servers without tagging are never sent ?tagging.</summary>
    public Dictionary<string, string> Tags(string relative, int? tagCount)
    {
        if (tagCount is not > 0) return new();
        var response = _store.Call(relative, () => _store.Client.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = Bucket, Key = FullKey(relative) }));
        return (response.Tagging ?? []).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
    }

    /// <summary>The SDK client, for the transfer utility (multipart puts).</summary>
    public Amazon.S3.IAmazonS3 Sdk => _store.Client;

    public T Call<T>(string? key, Func<Amazon.S3.IAmazonS3, Task<T>> call) => _store.Call(key, () => call(_store.Client));

    public void Delete(string relative) => _store.Call(relative, () => _store.Client.DeleteObjectAsync(Bucket, FullKey(relative)));

    public void Dispose() => _store.Dispose();
}
