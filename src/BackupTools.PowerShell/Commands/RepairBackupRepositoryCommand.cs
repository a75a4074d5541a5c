using System.Management.Automation;
using BackupTools.Core.Repository;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Rebuilds what a repository derives from its authoritative objects: -RebuildIndex rebuilds the backup catalog
/// from the manifests and (format 2) the chunk index from the packs' own headers, under the exclusive lease.
/// </summary>
[Cmdlet(VerbsDiagnostic.Repair, "BackupRepository", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(IndexRebuildResult))]
public sealed class RepairBackupRepositoryCommand : KeyedCmdlet, IStorageCredentialParameter
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    /// <summary>Rebuild the catalog (catalog/) from the manifests and, in a format-2 repository, the chunk index (index/) from the packs.</summary>
    [Parameter(Mandatory = true)]
    public SwitchParameter RebuildIndex { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var reference = ReferenceTo(Repository);
            if (!ShouldProcess(reference.ToString(), "Rebuild the backup catalog and the chunk index from the manifests and packs")) return;
            var keys = LoadKeys();
            var result = RunCore((observer, _, cancel) =>
                new RepositoryRepair(observer).RebuildIndex(new RebuildIndexRequest(reference, keys, TimeSpan.FromSeconds(LockTimeoutSec)), cancel));
            WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Repository);
        }
    }
}
