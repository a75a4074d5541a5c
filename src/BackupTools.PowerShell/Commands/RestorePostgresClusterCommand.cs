using System.Management.Automation;
using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>Point-in-time recovery of a PostgreSQL cluster from a base backup and the WAL archive into a new data directory.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Cmdlet(VerbsData.Restore, "PostgresCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PgPitrRestoreResult))]
public sealed class RestorePostgresClusterCommand : KeyedCmdlet, IStorageCredentialParameter
{
    [Parameter(Mandatory = true, Position = 0)]
    public string Cell { get; set; } = "";

    /// <summary>The moment to recover to (default: as late as the archived WAL reaches).</summary>
    [Parameter]
    public DateTimeOffset? At { get; set; }

    /// <summary>Recover up to this WAL position (e.g. 0/3000148) instead of a time.</summary>
    [Parameter]
    public string? Lsn { get; set; }

    /// <summary>Recover up to and including this transaction id.</summary>
    [Parameter]
    public string? Xid { get; set; }

    /// <summary>Recover up to this named restore point (pg_create_restore_point).</summary>
    [Parameter]
    public string? RestorePoint { get; set; }

    /// <summary>Start from this base backup instead of the newest one completed before -At.</summary>
    [Parameter]
    public string? BaseBackupId { get; set; }

    [Parameter(Mandatory = true)]
    public string DataDirectory { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>Leave the recovered server running on -Port (default: stopped cleanly once proven).</summary>
    [Parameter]
    public SwitchParameter KeepRunning { get; set; }

    /// <summary>-DataDirectory is a stopped cluster's: the proven copy replaces it, the old one is kept beside it.</summary>
    [Parameter]
    public SwitchParameter InPlace { get; set; }

    /// <summary>Tablespaces to restore elsewhere than their original location: @{ name_or_oid = '/folder' } (like pg_basebackup --tablespace-mapping).</summary>
    [Parameter]
    public System.Collections.Hashtable? TablespaceMap { get; set; }

    /// <summary>When BackupTools runs as root: the OS user that owns the files and runs the server (default postgres).</summary>
    [Parameter]
    public string? OsUser { get; set; }

    [Parameter]
    public string? ToolPath { get; set; }

    [Parameter]
    public string? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var request = new PgPitrRestoreRequest(ReferenceTo(Repository), Cell, At?.ToUniversalTime(), BaseBackupId, ResolvePath(DataDirectory), Port, KeepRunning,
                OsUser, ToolPath is null ? null : ResolvePath(ToolPath), LoadKeys(), (_, _) => true, InPlace, Lsn, Xid, RestorePoint,
                TablespaceMap?.Cast<System.Collections.DictionaryEntry>().ToDictionary(e => e.Key.ToString() ?? "", e => MapFolder(e.Value)));
            var result = RunCore((observer, shouldProcess, cancel) => new PgPitrRestoreOperation(observer).Run(request with { ShouldProcess = shouldProcess }, cancel));
            if (result != null) WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Cell);
        }
    }

    /// <summary>A -TablespaceMap folder resolved like every path parameter; an empty one stays empty (and is refused by name).</summary>
    private string MapFolder(object? value) => value?.ToString() is { Length: > 0 } folder ? ResolvePath(folder) : "";
}
