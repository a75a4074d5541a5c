using System.Management.Automation;
using BackupTools.Core.Keys;
using BackupTools.Core.Repository;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Key rotation: re-wraps the data key of every backup that needs the -From key with the -To key (data and manifests
/// untouched), so the old key can be retired. Crash-safe and rerunnable; emits one KeyRotationResult per backup.
/// </summary>
[Cmdlet(VerbsData.Update, "BackupKey", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KeyRotationResult))]
public sealed class UpdateBackupKeyCommand : BackupToolsCmdlet, IStorageCredentialParameter
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    /// <summary>The key file of the key being retired (a secret key or the private key file of a pair).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string From { get; set; } = "";

    /// <summary>The key file of the new key (a secret key, or a key pair's public or private key file).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string To { get; set; } = "";

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var from = BackupKeyFile.Read(ResolvePath(From), WriteWarning);
            var to = BackupKeyFile.Read(ResolvePath(To), WriteWarning);
            using var repository = ReferenceTo(Repository).Open();
            if (!ShouldProcess(repository.Location, $"Re-wrap the data keys of backups that need key {from.Describe()} with key {to.Describe()}")) return;
            var results = RunCore((observer, _, cancel) => new KeyRotation(observer).Run(repository, from, to, TimeSpan.FromSeconds(LockTimeoutSec), cancel));
            foreach (var result in results.Where(r => r.Outcome is KeyRotationOutcome.Rewrapped or KeyRotationOutcome.AlreadyRotated))
                WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Repository);
        }
    }
}
