using System.Management.Automation;
using BackupTools.Core.Engines.MySql;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>One BackupRecord per database; a failing database is a non-terminating error.</summary>
[Cmdlet(VerbsData.Backup, "MySql", DefaultParameterSetName = "Databases")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupMySqlCommand : DatabaseBackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Databases")]
    [ArgumentCompleter(typeof(ServerDatabaseCompleter))]
    public string[] Database { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter AllDatabases { get; set; }

    /// <summary>With -AllDatabases: also mysql, sys, information_schema, performance_schema.</summary>
    [Parameter(ParameterSetName = "All")]
    public SwitchParameter IncludeSystemDatabases { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var target = BuildMySqlTarget();
            var request = new MySqlBackupRequest(ReferenceTo(Repository), target, Database, AllDatabases, IncludeSystemDatabases, Cell,
                ResolvedToolPath, RequestedCompression, LoadKeys(), LockTimeout);
            var outcomes = RunCore((observer, _, cancel) => new MySqlBackupOperation(observer).Run(request, cancel));
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
