using System.Management.Automation;
using BackupTools.Core.Engines.Postgres;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

[Cmdlet(VerbsData.Restore, "Postgres", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByDatabase)]
[OutputType(typeof(DatabaseRestoreResult))]
public sealed class RestorePostgresCommand : DatabaseRestoreCmdlet
{
    /// <summary>Terminate other connections to the database being replaced.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Parallel pg_restore from a scratch copy of the dump (BACKUPTOOLS_TEMP / TMPDIR).</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int Jobs { get; set; } = 1;

    protected override void RestoreOne()
    {
        try
        {
            var request = new PostgresRestoreRequest(ReferenceTo(Repository), SelectedId, SelectedDatabase, At, TargetDatabase, BuildPostgresTarget(), Force,
                SkipSafetyBackup, ResolvedToolPath, LoadKeys(), LockTimeout, (_, _) => true, Jobs);
            var result = RunCore((observer, shouldProcess, cancel) =>
                new PostgresRestoreOperation(observer).Run(request with { ShouldProcess = shouldProcess }, cancel));
            if (result != null) WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Selection);
        }
    }
}
