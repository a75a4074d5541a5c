using System.Management.Automation;
using BackupTools.Core.Engines.MySqlPhysical;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// A hot physical backup of a whole MariaDB server (mariadb-backup), run on the server's host. A cmdlet of its own rather
/// than Backup-MySql -Physical: it backs up a server, not databases (no -Database/-AllDatabases), writes one record, not
/// one per database, and is restored by Restore-MySqlPhysical into a data directory — as Backup-PostgresBase sits beside Backup-Postgres.
/// </summary>
[Cmdlet(VerbsData.Backup, "MySqlPhysical")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupMySqlPhysicalCommand : DatabaseBackupCmdlet
{
    protected override void ProcessRecord()
    {
        try
        {
            var request = new MySqlPhysicalBackupRequest(ReferenceTo(Repository), BuildMySqlTarget(), Cell, ResolvedToolPath, RequestedCompression, LoadKeys(), LockTimeout);
            WriteObject(RunCore((observer, _, cancel) => new MySqlPhysicalBackupOperation(observer).Run(request, cancel)));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Server ?? "localhost");
        }
    }
}
