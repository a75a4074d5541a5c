using System.Management.Automation;
using BackupTools.Core.Engines.MySql;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

[Cmdlet(VerbsData.Restore, "MySql", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "ByDatabase")]
[OutputType(typeof(DatabaseRestoreResult))]
public sealed class RestoreMySqlCommand : DatabaseCmdlet, IStorageCredentialParameter
{
    [Parameter(Mandatory = true, ParameterSetName = "ById", ValueFromPipelineByPropertyName = true)]
    public string Id { get; set; } = "";

    /// <summary>Restore the newest backup of this database (with -At: completed at or before that time).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "ByDatabase")]
    public string Database { get; set; } = "";

    [Parameter(ParameterSetName = "ByDatabase")]
    public DateTimeOffset? At { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Repository { get; set; }

    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    /// <summary>Database to restore into (default: the backed-up database's name).</summary>
    [Parameter]
    public string? TargetDatabase { get; set; }

    [Parameter]
    public SwitchParameter SkipSafetyBackup { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    protected override void ProcessRecord()
    {
        var target = ParameterSetName == "ById" ? Id : Database;
        try
        {
            var request = new MySqlRestoreRequest(ResolveRepository(Repository)!, ParameterSetName == "ById" ? Id : null,
                ParameterSetName == "ByDatabase" ? Database : null, At, TargetDatabase, BuildMySqlTarget(), SkipSafetyBackup,
                ResolvedToolPath, LoadKeys(), TimeSpan.FromSeconds(LockTimeoutSec), (_, _) => true);
            var result = RunCore((observer, shouldProcess, cancel) =>
                new MySqlRestoreOperation(observer).Run(request with { ShouldProcess = shouldProcess }, cancel));
            if (result != null) WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, target);
        }
    }
}
