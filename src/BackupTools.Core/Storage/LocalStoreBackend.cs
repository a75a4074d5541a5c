namespace BackupTools.Core.Storage;

/// <summary>A folder on local disk or a NAS mount: a plain path or a file:// URI.</summary>
public sealed class LocalStoreBackend : IStoreBackend
{
    public IReadOnlyCollection<string> Schemes { get; } = [StoreRegistry.PathScheme];
    public string Usage => "a folder path, a file:// URI";

    public IBackupStore Open(string location, StorageCredential? credential, StoreOptions options) =>
        new LocalBackupStore(location.Contains("://", StringComparison.Ordinal) ? new Uri(location).LocalPath : location);
}
