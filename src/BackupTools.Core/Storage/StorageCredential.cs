namespace BackupTools.Core.Storage;

/// <summary>
/// An access key pair given by the user (PowerShell -StorageCredential). ToString never shows the secret,
/// and the pair never becomes part of a store's Location.
/// </summary>
public sealed class StorageCredential(string accessKeyId, string secretAccessKey)
{
    public string AccessKeyId { get; } = accessKeyId;
    internal string SecretAccessKey { get; } = secretAccessKey;
    public override string ToString() => $"{AccessKeyId}:***";
}

/// <summary>
/// The credential for stores opened by the current logical call (flows into tasks), so the
/// cmdlet layer can supply one without threading it through every request record.
/// </summary>
public static class StorageCredentialScope
{
    private static readonly AsyncLocal<StorageCredential?> Ambient = new();
    private static readonly AsyncLocal<IReadOnlyDictionary<string, StorageCredential>?> ByLocation = new();

    public static StorageCredential? Current => Ambient.Value;

    /// <summary>The credential for one location: a per-location one (a plan's targets) first, else the ambient one.</summary>
    public static StorageCredential? For(string? location) =>
        location != null && ByLocation.Value?.TryGetValue(location, out var credential) == true ? credential : Ambient.Value;

    /// <summary>Credentials per repository location for the current logical call (a plan whose targets use different keys).</summary>
    public static IDisposable UsePerLocation(IReadOnlyDictionary<string, StorageCredential> credentials)
    {
        var previous = ByLocation.Value;
        ByLocation.Value = credentials;
        return new RestoreMap(previous);
    }

    private sealed class RestoreMap(IReadOnlyDictionary<string, StorageCredential>? previous) : IDisposable
    {
        public void Dispose() => ByLocation.Value = previous;
    }

    public static IDisposable Use(StorageCredential? credential)
    {
        var previous = Ambient.Value;
        Ambient.Value = credential;
        return new Restore(previous);
    }

    private sealed class Restore(StorageCredential? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
