using System.Management.Automation;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

[Cmdlet(VerbsData.Restore, "MySql", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByDatabase)]
[OutputType(typeof(DatabaseRestoreResult))]
public sealed class RestoreMySqlCommand : DatabaseRestoreCmdlet
{
    /// <summary>End the other sessions using the database being replaced (their open transactions would block the swap).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Point in time: replay this cell's binlog archive (Push-MySqlBinlog) on top of the dump, up to -At or through -Gtid.</summary>
    [Parameter]
    public string? BinlogCell { get; set; }

    /// <summary>With -BinlogCell: replay through this GTID (domain-server-sequence) instead of up to -At.</summary>
    [Parameter]
    public string? Gtid { get; set; }

    protected override void RestoreOne()
    {
        try
        {
            var request = new MySqlRestoreRequest(ReferenceTo(Repository), SelectedId, SelectedDatabase, At, TargetDatabase, BuildMySqlTarget(), SkipSafetyBackup,
                ResolvedToolPath, LoadKeys(), LockTimeout, (_, _) => true, Force, Replay());
            var result = RunCore((observer, shouldProcess, cancel) =>
                new MySqlRestoreOperation(observer).Run(request with { ShouldProcess = shouldProcess }, cancel));
            if (result != null) WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Selection);
        }
    }

    private BinlogReplayTarget? Replay() => BinlogReplayTarget.From(BinlogCell, At, Gtid);
}
