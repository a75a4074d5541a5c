using System.Management.Automation;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>One BackupRecord per database; a failing database is a non-terminating error.</summary>
[Cmdlet(VerbsData.Backup, "MySql", DefaultParameterSetName = "Databases")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupMySqlCommand : DatabaseCmdlet, IStorageCredentialParameter
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Databases")]
    public string[] Database { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter AllDatabases { get; set; }

    /// <summary>With -AllDatabases: also mysql, sys, information_schema, performance_schema.</summary>
    [Parameter(ParameterSetName = "All")]
    public SwitchParameter IncludeSystemDatabases { get; set; }

    [Parameter]
    public string? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    [Parameter]
    public string? Cell { get; set; }

    [Parameter]
    [ValidateSet("zstd", "gzip", "none", IgnoreCase = true)]
    public string? Compression { get; set; }

    [Parameter]
    public int? CompressionLevel { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var target = BuildMySqlTarget();
            var request = new MySqlBackupRequest(ResolveRepository(Repository)!, target, Database, AllDatabases, IncludeSystemDatabases, Cell,
                ResolvedToolPath, Compression is null ? null : CompressionSettings.Parse(Compression, CompressionLevel),
                LoadKeys(), TimeSpan.FromSeconds(LockTimeoutSec));
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
