namespace BackupTools.Core.Storage.S3;

/// <summary>s3://bucket/prefix?… on AWS or an S3-compatible server, wrapped in retries. The credential never shows in Location.</summary>
public sealed class S3StoreBackend : IStoreBackend
{
    public IReadOnlyCollection<string> Schemes { get; } = ["s3"];
    public string Usage => "s3://bucket/prefix";

    public IBackupStore Open(string location, StorageCredential? credential, StoreOptions options) =>
        new RetryingBackupStore(new S3BackupStore(S3Location.Parse(location), credential), options.Retry);
}
