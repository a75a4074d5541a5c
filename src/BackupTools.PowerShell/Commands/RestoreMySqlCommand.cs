using System.Management.Automation;
using BackupTools.Core.Engines.MySql;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

[Cmdlet(VerbsData.Restore, "MySql", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByDatabase)]
[OutputType(typeof(DatabaseRestoreResult))]
public sealed class RestoreMySqlCommand : DatabaseRestoreCmdlet
{
    /// <summary>End the other sessions using the database being replaced (their open transactions would block the swap).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void RestoreOne()
    {
        try
        {
            var request = new MySqlRestoreRequest(ReferenceTo(Repository), SelectedId, SelectedDatabase, At, TargetDatabase, BuildMySqlTarget(), SkipSafetyBackup,
                ResolvedToolPath, LoadKeys(), LockTimeout, (_, _) => true, Force);
            var result = RunCore((observer, shouldProcess, cancel) =>
                new MySqlRestoreOperation(observer).Run(request with { ShouldProcess = shouldProcess }, cancel));
            if (result != null) WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Selection);
        }
    }
}
