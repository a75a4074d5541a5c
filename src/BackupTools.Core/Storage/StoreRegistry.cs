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

    private static readonly object Gate = new();
    private static volatile IStoreBackend[] _backends =
    [
        new LocalStoreBackend(),
        new S3StoreBackend(),
    ];

    public static IReadOnlyList<IStoreBackend> All => _backends;

    /// <summary>Adds a backend at run time (a plug-in, a test's instrumented store); its schemes must be new.</summary>
    public static void Register(IStoreBackend backend)
    {
        lock (Gate)
        {
            if (backend.Schemes.FirstOrDefault(s => _backends.Any(b => b.Schemes.Contains(s, StringComparer.OrdinalIgnoreCase))) is { } taken)
                throw new ArgumentException($"the scheme '{taken}' already has a backend.", nameof(backend));
            _backends = [.. _backends, backend];
        }
    }

    /// <summary>The backend for a location's scheme; a clear error (without any user-info part) when none opens it.</summary>
    public static IStoreBackend For(string location)
    {
        var scheme = SchemeOf(location);
        var backends = _backends;
        return backends.FirstOrDefault(b => b.Schemes.Contains(scheme, StringComparer.OrdinalIgnoreCase))
            ?? throw new BackupInputException("RepositorySchemeUnsupported", "Repository",
                $"'{RepositoryLocation.Redact(location)}' uses a scheme this version cannot open.", $"Use {string.Join(" or ", backends.Select(b => b.Usage))}.");
    }

    public static IBackupStore Open(string location, StorageCredential? credential, StoreOptions options) =>
        For(location).Open(location, credential, options);

    private static string SchemeOf(string location)
    {
        var end = location.IndexOf("://", StringComparison.Ordinal);
        return end < 0 ? PathScheme : location[..end];
    }
}
