using System.Management.Automation;
using BackupTools.Core.Engines.RabbitMq;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>One BackupRecord holding a broker's (or one vhost's) definitions; messages are not definitions and are not included.</summary>
[Cmdlet(VerbsData.Backup, "RabbitMqDefinitions")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupRabbitMqDefinitionsCommand : RabbitMqCmdlet
{
    /// <summary>Cell name (default: rabbitmq-&lt;host&gt;-&lt;port&gt;[-&lt;vhost&gt;]).</summary>
    [Parameter]
    public string? Cell { get; set; }

    [Parameter]
    [ValidateSet("zstd", "gzip", "none", IgnoreCase = true)]
    public string? Compression { get; set; }

    [Parameter]
    public int? CompressionLevel { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var request = new RabbitMqBackupRequest(ReferenceTo(Repository), BuildTarget(), Cell,
                Core.Pipeline.Compression.CompressionSettings.ParseOptional(Compression, CompressionLevel), LoadKeys(), TimeSpan.FromSeconds(LockTimeoutSec));
            WriteObject(RunCore((observer, _, cancel) => new RabbitMqBackupOperation(observer).Run(request, cancel)));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, ManagementUrl ?? "localhost");
        }
    }
}
