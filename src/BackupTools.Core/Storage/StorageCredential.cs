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

    public static StorageCredential? Current => Ambient.Value;

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
