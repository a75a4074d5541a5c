using System.Management.Automation;
using BackupTools.Core.Repository;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// -Repository and -StorageCredential, declared once for every keyed cmdlet that reads or writes one repository (the
/// connection bases — database, Redis, RabbitMQ — and the source-only backups, restores and pushes derive from it).
/// Cmdlets that take the repository from a piped backup record override <see cref="Repository"/> with
/// ValueFromPipelineByPropertyName: PowerShell reads a parameter's attributes from the most-derived declaration.
/// </summary>
public abstract class RepositoryCmdlet : KeyedCmdlet, IStorageCredentialParameter
{
    [Parameter]
    public virtual string? Repository { get; set; }

    /// <summary>The repository's S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    protected RepositoryReference RepositoryReference => ReferenceTo(Repository);
}
