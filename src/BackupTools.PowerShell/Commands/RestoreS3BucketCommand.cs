using System.Management.Automation;
using BackupTools.Core.Engines.S3Bucket;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>Puts a bucket backup into a new prefix (default) or, with -InPlace, back into its own prefix after a safety backup.</summary>
[Cmdlet(VerbsData.Restore, "S3Bucket", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(S3BucketRestoreResult))]
public sealed class RestoreS3BucketCommand : RepositoryCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string Id { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public override string? Repository { get; set; }


    /// <summary>s3://bucket/prefix to restore into (must be empty); default s3://&lt;source bucket&gt;/bt-restore/&lt;id&gt;/&lt;source prefix&gt;.</summary>
    [Parameter]
    public string? Target { get; set; }

    /// <summary>The target's access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? TargetCredential { get; set; }

    /// <summary>Restore the backed-up prefix itself: a safety backup first, then it is made exactly like the backup.</summary>
    [Parameter]
    public SwitchParameter InPlace { get; set; }

    /// <summary>With -InPlace: replace the prefix's objects without a safety backup first.</summary>
    [Parameter]
    public SwitchParameter SkipSafetyBackup { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var request = new S3BucketRestoreRequest(ReferenceTo(Repository), Id, Target, StorageCredentials.From(TargetCredential), InPlace, LoadKeys(),
                TimeSpan.FromSeconds(LockTimeoutSec), (_, _) => true, SkipSafetyBackup);
            var result = RunCore((observer, shouldProcess, cancel) => new S3BucketRestoreOperation(observer).Run(request with { ShouldProcess = shouldProcess }, cancel));
            if (result != null) WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Id);
        }
    }
}
