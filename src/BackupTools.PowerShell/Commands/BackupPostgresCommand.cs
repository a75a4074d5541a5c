using System.Management.Automation;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>One BackupRecord per database (and one for -IncludeGlobals); a failing database is a non-terminating error.</summary>
[Cmdlet(VerbsData.Backup, "Postgres", DefaultParameterSetName = "Databases")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupPostgresCommand : DatabaseCmdlet, IStorageCredentialParameter
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Databases")]
    public string[] Database { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter AllDatabases { get; set; }

    [Parameter]
    public string? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    /// <summary>Cell the records belong to (default: each database's own name).</summary>
    [Parameter]
    public string? Cell { get; set; }

    [Parameter]
    public SwitchParameter IncludeGlobals { get; set; }

    [Parameter]
    public SwitchParameter SchemaOnly { get; set; }

    [Parameter]
    public string[]? Schema { get; set; }

    [Parameter]
    public string[]? Table { get; set; }

    [Parameter]
    [ValidateSet("zstd", "gzip", "none", IgnoreCase = true)]
    public string? Compression { get; set; }

    [Parameter]
    public int? CompressionLevel { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    /// <summary>Parallel directory-format dump through a scratch folder (BACKUPTOOLS_TEMP / TMPDIR).</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int Jobs { get; set; } = 1;

    protected override void ProcessRecord()
    {
        try
        {
            var request = new PostgresBackupRequest(ResolveRepository(Repository)!, BuildPostgresTarget(), Database, AllDatabases, IncludeGlobals,
                SchemaOnly, Schema ?? [], Table ?? [], Cell, ResolvedToolPath,
                Compression is null ? null : CompressionSettings.Parse(Compression, CompressionLevel), LoadKeys(), TimeSpan.FromSeconds(LockTimeoutSec), Jobs: Jobs);
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
