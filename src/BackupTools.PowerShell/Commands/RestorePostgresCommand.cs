using System.Management.Automation;
using BackupTools.Core.Engines.Postgres;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

[Cmdlet(VerbsData.Restore, "Postgres", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "ByDatabase")]
[OutputType(typeof(DatabaseRestoreResult))]
public sealed class RestorePostgresCommand : DatabaseCmdlet, IStorageCredentialParameter
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

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    /// <summary>Database to restore into (default: the backed-up database's name).</summary>
    [Parameter]
    public string? TargetDatabase { get; set; }

    /// <summary>Terminate other connections to the database being replaced.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter SkipSafetyBackup { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    /// <summary>Parallel pg_restore from a scratch copy of the dump (BACKUPTOOLS_TEMP / TMPDIR).</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int Jobs { get; set; } = 1;

    protected override void ProcessRecord()
    {
        var target = ParameterSetName == "ById" ? Id : Database;
        try
        {
            var request = new PostgresRestoreRequest(ResolveRepository(Repository)!, ParameterSetName == "ById" ? Id : null,
                ParameterSetName == "ByDatabase" ? Database : null, At, TargetDatabase, BuildPostgresTarget(), Force, SkipSafetyBackup,
                ResolvedToolPath, LoadKeys(), TimeSpan.FromSeconds(LockTimeoutSec), (_, _) => true, Jobs);
            var result = RunCore((observer, shouldProcess, cancel) =>
                new PostgresRestoreOperation(observer).Run(request with { ShouldProcess = shouldProcess }, cancel));
            if (result != null) WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, target);
        }
    }
}
