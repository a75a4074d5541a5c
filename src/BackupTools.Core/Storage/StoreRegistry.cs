using BackupTools.Core.Errors;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage.S3;

namespace BackupTools.Core.Storage;

/// <summary>
/// Every storage backend, keyed by URI scheme. A location without a scheme is a folder path ("file").
/// Adding a backend: its folder under Storage/ (store + backend + conformance test subclass) and one line here.
/// </summary>
public static class StoreRegistry
{
    public const string PathScheme = "file";

    private static readonly IStoreBackend[] Backends =
    [
        new LocalStoreBackend(),
        new S3StoreBackend(),
    ];

    public static IReadOnlyList<IStoreBackend> All => Backends;

    /// <summary>The backend for a location's scheme; a clear error (without any user-info part) when none opens it.</summary>
    public static IStoreBackend For(string location)
    {
        var scheme = SchemeOf(location);
        return Backends.FirstOrDefault(b => b.Schemes.Contains(scheme, StringComparer.OrdinalIgnoreCase))
            ?? throw new BackupInputException("RepositorySchemeUnsupported", "Repository",
                $"'{RepositoryLocation.Redact(location)}' uses a scheme this version cannot open.", $"Use {string.Join(" or ", Backends.Select(b => b.Usage))}.");
    }

    public static IBackupStore Open(string location, StorageCredential? credential, StoreOptions options) =>
        For(location).Open(location, credential, options);

    private static string SchemeOf(string location)
    {
        var end = location.IndexOf("://", StringComparison.Ordinal);
        return end < 0 ? PathScheme : location[..end];
    }
}
