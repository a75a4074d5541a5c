using System.Management.Automation;
using BackupTools.Core.Storage;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// A cmdlet taking -Repository also takes -StorageCredential: for S3, the access key id as user name and
/// the secret key as password. BackupToolsCmdlet hands it to the core for the stores this command opens.
/// </summary>
public interface IStorageCredentialParameter
{
    PSCredential? StorageCredential { get; }
}

internal static class StorageCredentials
{
    public static StorageCredential? From(PSCredential? credential) =>
        credential is null ? null : new StorageCredential(credential.UserName.TrimStart('\\'), credential.GetNetworkCredential().Password);
}
