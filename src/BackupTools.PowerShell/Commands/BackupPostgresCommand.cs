using System.Management.Automation;
using BackupTools.Core.Engines.Postgres;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>One BackupRecord per database (and one for -IncludeGlobals); a failing database is a non-terminating error.</summary>
[Cmdlet(VerbsData.Backup, "Postgres", DefaultParameterSetName = "Databases")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupPostgresCommand : DatabaseBackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Databases")]
    [ArgumentCompleter(typeof(ServerDatabaseCompleter))]
    public string[] Database { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter AllDatabases { get; set; }

    [Parameter]
    public SwitchParameter IncludeGlobals { get; set; }

    [Parameter]
    public SwitchParameter SchemaOnly { get; set; }

    [Parameter]
    public string[]? Schema { get; set; }

    [Parameter]
    public string[]? Table { get; set; }

    /// <summary>Parallel directory-format dump through a scratch folder (BACKUPTOOLS_TEMP / TMPDIR).</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int Jobs { get; set; } = 1;

    protected override void ProcessRecord()
    {
        try
        {
            var request = new PostgresBackupRequest(ReferenceTo(Repository), BuildPostgresTarget(), Database, AllDatabases, IncludeGlobals,
                SchemaOnly, Schema ?? [], Table ?? [], Cell, ResolvedToolPath,
                RequestedCompression, LoadKeys(), LockTimeout, Jobs: Jobs);
            var outcomes = RunCore((observer, _, cancel) => new PostgresBackupOperation(observer).Run(request, cancel));
            foreach (var outcome in outcomes)
            {
                if (outcome.Record != null) WriteObject(outcome.Record);
                else WriteFailure(outcome.Error!, outcome.Item);
            }
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, string.Join(",", Database));
        }
    }
}
