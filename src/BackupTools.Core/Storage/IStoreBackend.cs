namespace BackupTools.Core.Storage;

/// <summary>
/// One kind of storage (a folder, S3, …): the URI schemes it opens and how. Registered once in
/// <see cref="StoreRegistry"/>; proven by a subclass of the storage conformance suite.
/// </summary>
public interface IStoreBackend
{
    /// <summary>URI schemes this backend opens, without "://" (e.g. "s3").</summary>
    IReadOnlyCollection<string> Schemes { get; }

    /// <summary>How a user writes a location for this backend, for errors that list what is possible.</summary>
    string Usage { get; }

    /// <summary>Opens the store at <paramref name="location"/>; the credential and options come with it.</summary>
    IBackupStore Open(string location, StorageCredential? credential, StoreOptions options);
}

/// <summary>How stores are opened: the retry policy for transient errors of remote backends.</summary>
public sealed record StoreOptions(RetryPolicy Retry)
{
    public static StoreOptions Default { get; } = new(RetryPolicy.Default);
}
