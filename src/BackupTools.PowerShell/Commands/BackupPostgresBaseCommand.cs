using System.Management.Automation;
using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>A physical base backup of a whole PostgreSQL cluster (primary or standby), the start of point-in-time recovery.</summary>
[Cmdlet(VerbsData.Backup, "PostgresBase")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupPostgresBaseCommand : DatabaseBackupCmdlet
{
    protected override void ProcessRecord()
    {
        try
        {
            var request = new PgBaseBackupRequest(ReferenceTo(Repository), BuildPostgresTarget(), Cell, ResolvedToolPath, RequestedCompression, LoadKeys(), LockTimeout);
            WriteObject(RunCore((observer, _, cancel) => new PgBaseBackupOperation(observer).Run(request, cancel)));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Server ?? "localhost");
        }
    }
}
