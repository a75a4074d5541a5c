using System.Management.Automation;
using BackupTools.Core.Engines.S3Bucket;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>One BackupRecord of a bucket or prefix: the objects changed since the previous backup, and an index of all of them.</summary>
[Cmdlet(VerbsData.Backup, "S3Bucket")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupS3BucketCommand : SourceBackupCmdlet
{
    /// <summary>s3://bucket[/prefix][?endpoint=…&amp;pathStyle=…&amp;region=…] — the same syntax as a repository URI.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Source { get; set; } = "";

    /// <summary>The source's access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? SourceCredential { get; set; }

    /// <summary>Cell name (default: s3-&lt;bucket&gt;[-&lt;prefix&gt;]).</summary>
    [Parameter]
    public string? Cell { get; set; }

    /// <summary>Read every object again instead of only those changed since the previous backup.</summary>
    [Parameter]
    public SwitchParameter Full { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var request = new S3BucketBackupRequest(RepositoryReference, Source, StorageCredentials.From(SourceCredential), Cell, Full,
                RequestedCompression, LoadKeys(), LockTimeout);
            WriteObject(RunCore((observer, _, cancel) => new S3BucketBackupOperation(observer).Run(request, cancel)));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Source);
        }
    }
}
