using System.Management.Automation;
using BackupTools.Core.Replication;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Brings -Destination up to date with -Source (optionally some cells): emits a SyncResult per backup
/// (Copied, Skipped, Repaired or Failed) and writes each failure as an error too. Resumable: run it again.
/// </summary>
[Cmdlet(VerbsData.Sync, "BackupRepository", SupportsShouldProcess = true)]
[OutputType(typeof(SyncResult))]
public sealed class SyncBackupRepositoryCommand : KeyedCmdlet, IStorageCredentialParameter
{
    [Parameter(Mandatory = true, Position = 0)]
    public string Source { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    public string Destination { get; set; } = "";

    /// <summary>For -Source: S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    /// <summary>For -Destination, when it needs other keys than the source; without it -StorageCredential serves both.</summary>
    [Parameter]
    public PSCredential? DestinationStorageCredential { get; set; }

    /// <summary>Only these cells; default: every backup in the source.</summary>
    [Parameter]
    [Alias("Name")]
    [ArgumentCompleter(typeof(CellNameCompleter))]
    public string[]? Cell { get; set; }

    /// <summary>Keys that encrypt re-encoded copies in -Destination (its newest encrypts); without them -KeyFile/-Key serve both repositories.</summary>
    [Parameter]
    public string[]? DestinationKeyFile { get; set; }

    [Parameter]
    public System.Security.SecureString[]? DestinationKey { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    /// <summary>Re-read backups the destination already has; re-fetch a damaged one from the source (Repaired).</summary>
    [Parameter]
    public SwitchParameter RepairDamaged { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var request = new SyncRequest(ReferenceTo(Source), ReferenceTo(Destination, DestinationStorageCredential ?? StorageCredential), Cell, TimeSpan.FromSeconds(LockTimeoutSec), (_, _) => true, RepairDamaged,
                LoadKeys(), LoadOtherKeys(DestinationKeyFile, DestinationKey));
            var outcome = RunCore((observer, shouldProcess, cancel) =>
                new RepositorySync(observer).Run(request with { ShouldProcess = shouldProcess }, cancel));
            WriteObject(outcome.Results, enumerateCollection: true);
            foreach (var (id, error) in outcome.Failures)
                WriteFailure(error, id);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Destination);
        }
    }
}
