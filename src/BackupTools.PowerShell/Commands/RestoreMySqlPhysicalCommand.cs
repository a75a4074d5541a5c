using System.Management.Automation;
using BackupTools.Core.Engines.MySqlPhysical;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Errors;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Puts a physical MariaDB backup (optionally replayed to -At/-Gtid from a binlog archive) in place of a stopped server's
/// data directory, proven on a temporary server first. -Server/-Port/-Credential name the real server, which -StartCommand
/// starts; the replaced directory is removed once it answers (kept with -KeepPreviousDataDirectory, or without -StartCommand).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Cmdlet(VerbsData.Restore, "MySqlPhysical", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ById)]
[OutputType(typeof(MySqlPhysicalRestoreResult))]
public sealed class RestoreMySqlPhysicalCommand : DatabaseCmdlet
{
    private const string ById = "ById";
    private const string ByCell = "ByCell";

    [Parameter(Mandatory = true, ParameterSetName = ById, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string Id { get; set; } = "";

    /// <summary>Restore the newest physical backup of this cell (with -At: completed before it).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByCell)]
    public string Cell { get; set; } = "";

    /// <summary>The stopped server's data directory (or a new folder for a new server).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string DataDirectory { get; set; } = "";

    /// <summary>Replay this cell's binlog archive (Push-MySqlBinlog) on top of the backup, up to -At or through -Gtid.</summary>
    [Parameter]
    public string? BinlogCell { get; set; }

    [Parameter]
    public DateTimeOffset? At { get; set; }

    [Parameter]
    public string? Gtid { get; set; }

    /// <summary>Shell command that starts the server once its data is in place (e.g. 'systemctl start mariadb').</summary>
    [Parameter]
    public string? StartCommand { get; set; }

    [Parameter]
    public SwitchParameter KeepPreviousDataDirectory { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public override string? Repository { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var request = new MySqlPhysicalRestoreRequest(ReferenceTo(Repository), ParameterSetName == ById ? Id : null, ParameterSetName == ByCell ? Cell : null,
                ResolvePath(DataDirectory), Replay(), StartCommand, StartCommand is null && Server is null && ConnectionString is null ? null : BuildMySqlTarget(),
                KeepPreviousDataDirectory, ResolvedToolPath, LoadKeys(), (_, _) => true);
            var result = RunCore((observer, shouldProcess, cancel) => new MySqlPhysicalRestoreOperation(observer).Run(request with { ShouldProcess = shouldProcess }, cancel));
            if (result != null) WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, ParameterSetName == ById ? Id : Cell);
        }
    }

    private BinlogReplayTarget? Replay()
    {
        if (BinlogCell is null && At != null)
            throw new BackupInputException("MySqlAtWithoutBinlog", "At", "needs -BinlogCell: a physical backup alone restores only to its own moment.", "Add -BinlogCell <cell of Push-MySqlBinlog>.");
        return BinlogReplayTarget.From(BinlogCell, At?.ToUniversalTime(), Gtid);
    }
}
