using System.Management.Automation;
using BackupTools.Core.Audit;
using BackupTools.Core.Repository;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>Reads the repository's append-only audit log, oldest first, filtered.</summary>
[Cmdlet(VerbsCommon.Get, "BackupAudit")]
[OutputType(typeof(AuditEntry))]
public sealed class GetBackupAuditCommand : BackupToolsCmdlet, IStorageCredentialParameter
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    [Parameter]
    public DateTimeOffset? Since { get; set; }

    [Parameter]
    public DateTimeOffset? Until { get; set; }

    [Parameter]
    [ValidateSet("backup", "verify", "restore", "delete", "copy", "failover", "failback", "prune", "check")]
    public string[]? Operation { get; set; }

    [Parameter]
    [Alias("Name")]
    [ArgumentCompleter(typeof(CellNameCompleter))]
    public string[]? Cell { get; set; }

    /// <summary>Only entries that name this backup id.</summary>
    [Parameter]
    public string? Id { get; set; }

    /// <summary>Only failures.</summary>
    [Parameter]
    public SwitchParameter Failed { get; set; }

    /// <summary>Only the newest N entries (after the other filters).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Last { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            using var repository = ReferenceTo(Repository).Open();
            var query = new AuditQuery(Since, Until, Operation, Cell, Id, Failed, Last);
            WriteObject(RunCore((observer, _, _) => AuditLog.Query(repository, query, observer)), enumerateCollection: true);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e, Repository);
        }
    }
}
