using System.Management.Automation;
using BackupTools.Core.Metrics;
using BackupTools.Core.Status;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Writes Prometheus textfile metrics (node_exporter's textfile collector) atomically: from piped
/// BackupStatus objects, or from one or more -Repository (statuses computed with the default policy).
/// </summary>
[Cmdlet(VerbsData.Export, "BackupMetrics", DefaultParameterSetName = "Repository")]
[OutputType(typeof(FileInfo))]
public sealed class ExportBackupMetricsCommand : BackupToolsCmdlet, IStorageCredentialParameter
{
    private readonly List<BackupStatus> _statuses = [];

    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = "";

    [Parameter(ParameterSetName = "Repository")]
    public string[]? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    [Parameter(ParameterSetName = "Status", Mandatory = true, ValueFromPipeline = true)]
    public BackupStatus[] InputObject { get; set; } = [];

    /// <summary>With -Repository: the age after which backup_healthy is 0 (default 26h).</summary>
    [Parameter(ParameterSetName = "Repository")]
    [DurationTransformation(nameof(MaxAge))]
    public TimeSpan? MaxAge { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "Status") _statuses.AddRange(InputObject);
    }

    protected override void EndProcessing()
    {
        try
        {
            var path = ResolvePath(Path);
            var repositories = ParameterSetName == "Repository" ? (Repository is { Length: > 0 } given ? given.Select(r => ReferenceTo(r)) : [ReferenceTo(null)]).ToList() : [];
            RunCore((observer, _, cancel) =>
            {
                var statuses = new List<BackupStatus>(_statuses);
                var bytes = statuses.GroupBy(s => s.Repository).ToDictionary(g => g.Key, g => g.Sum(s => s.SeriesStoredBytes));
                foreach (var location in repositories)
                {
                    var report = new StatusOperation(observer).Run(new StatusRequest(location, new StatusPolicy(MaxAge)), cancel);
                    statuses.AddRange(report.Statuses);
                    bytes[report.Repository] = report.RepositoryStoredBytes;
                }
                BackupMetrics.WriteAtomically(path, BackupMetrics.Render(statuses, bytes, DateTimeOffset.UtcNow));
                return true;
            });
            WriteObject(new FileInfo(path));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Path);
        }
    }
}
