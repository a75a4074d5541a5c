using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>
/// Which repository a request works on and how to reach it: the location as typed (null: BACKUPTOOLS_REPOSITORY),
/// the credential given with it (null: the backend's own default, e.g. the AWS environment) and store options.
/// Built by the cmdlet and carried in every request, so each command opens its repository with its own credential.
/// </summary>
public sealed record RepositoryReference(string? Location, StorageCredential? Credential = null)
{
    public StoreOptions Options { get; init; } = StoreOptions.Default;

    /// <summary>A new store for this repository; the caller disposes it.</summary>
    public IBackupStore OpenStore()
    {
        var location = RepositoryLocation.Resolve(Location);
        return StoreRegistry.Open(location, Credential, Options);
    }

    /// <summary>Opens the repository; the caller disposes it (and with it the store).</summary>
    public BackupRepository Open()
    {
        var store = OpenStore();
        try
        {
            return BackupRepository.Open(store);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Never the secret: the location without any user-info part.</summary>
    public override string ToString() => Location is null ? $"${RepositoryLocation.EnvironmentVariable}" : RepositoryLocation.Redact(Location);
}
