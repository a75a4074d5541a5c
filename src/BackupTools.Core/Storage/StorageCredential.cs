namespace BackupTools.Core.Storage;

/// <summary>
/// An access key pair given by the user (PowerShell -StorageCredential). ToString never shows the secret,
/// and the pair never becomes part of a store's Location. It travels inside a <see cref="Repository.RepositoryReference"/>,
/// never through ambient state, so each command of a pipeline uses its own.
/// </summary>
public sealed class StorageCredential(string accessKeyId, string secretAccessKey)
{
    public string AccessKeyId { get; } = accessKeyId;
    internal string SecretAccessKey { get; } = secretAccessKey;
    public override string ToString() => $"{AccessKeyId}:***";
}
