using System.Management.Automation;
using BackupTools.Core.Replication;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Copies backups (with the parents they build on that the target lacks) into another repository and
/// emits each as it exists in the target, so `Backup-Cell … | Copy-Backup -Target … | Test-BackupIntegrity`
/// checks the copy. Hashing, chains and the lock live in the core (CopyOperation, BackupCopier).
/// </summary>
[Cmdlet(VerbsCommon.Copy, "Backup", SupportsShouldProcess = true)]
[OutputType(typeof(BackupRecord))]
public sealed class CopyBackupCommand : KeyedCmdlet, IStorageCredentialParameter
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string[] Id { get; set; } = [];

    /// <summary>The repository the backups are in (piped records bring theirs).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Repository { get; set; }

    /// <summary>The repository to copy into; it must be initialized.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public string Target { get; set; } = "";

    /// <summary>For the source repository: S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    /// <summary>For -Target, when it needs other keys than the source; without it -StorageCredential serves both.</summary>
    [Parameter]
    public PSCredential? TargetStorageCredential { get; set; }

    /// <summary>Keys that encrypt re-encoded copies in -Target (its newest encrypts); without them -KeyFile/-Key serve both repositories.</summary>
    [Parameter]
    public string[]? TargetKeyFile { get; set; }

    [Parameter]
    public System.Security.SecureString[]? TargetKey { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    private (Core.Keys.BackupKeyRing Source, Core.Keys.BackupKeyRing? Target)? _keys;

    protected override void ProcessRecord()
    {
        foreach (var id in Id)
        {
            try
            {
                _keys ??= (LoadKeys(), LoadOtherKeys(TargetKeyFile, TargetKey));
                var request = new CopyRequest(ReferenceTo(Repository), id, ReferenceTo(Target, TargetStorageCredential ?? StorageCredential), TimeSpan.FromSeconds(LockTimeoutSec), (_, _) => true,
                    _keys.Value.Source, _keys.Value.Target);
                var copied = RunCore((observer, shouldProcess, cancel) =>
                    new CopyOperation(observer).Run(request with { ShouldProcess = shouldProcess }, cancel));
                if (copied != null) WriteObject(copied);
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, id);
            }
        }
    }
}
