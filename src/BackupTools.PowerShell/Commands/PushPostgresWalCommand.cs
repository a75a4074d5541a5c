using System.Management.Automation;
using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Ships the WAL files bt-wal-spool (the archive_command) spooled into the repository as WAL batches; with -Watch it
/// keeps doing so every -IntervalSec until stopped (Ctrl+C), the long-running pusher of continuous archiving.
/// </summary>
[Cmdlet("Push", "PostgresWal")]
[OutputType(typeof(WalPushResult))]
public sealed class PushPostgresWalCommand : RepositoryCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string Spool { get; set; } = "";

    /// <summary>The cluster's cell (the one its base backups go to: default pg-&lt;host&gt;-&lt;port&gt;).</summary>
    [Parameter(Mandatory = true)]
    public string Cell { get; set; } = "";



    [Parameter]
    [ValidateSet("zstd", "gzip", "none", IgnoreCase = true)]
    public string? Compression { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; } = 60;

    [Parameter]
    public SwitchParameter Watch { get; set; }

    [Parameter]
    [ValidateRange(1, 3600)]
    public int IntervalSec { get; set; } = 5;

    protected override void ProcessRecord()
    {
        try
        {
            var request = new WalPushRequest(ReferenceTo(Repository), ResolvePath(Spool), Cell, CompressionSettings.ParseOptional(Compression, null),
                LoadKeys(), TimeSpan.FromSeconds(LockTimeoutSec));
            if (!Watch)
            {
                foreach (var result in RunCore((observer, _, cancel) => new WalPushOperation(observer).Run(request, cancel))) Output(result);
                return;
            }
            // Each push is written as it happens: the worker hands it to the pipeline thread (the only one that may write).
            RunCore((observer, _, cancel) =>
            {
                new WalPushOperation(observer).Watch(request, TimeSpan.FromSeconds(IntervalSec), r => ((PipelineThreadPump)observer).Invoke(() => Output(r)), cancel);
                return true;
            });
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Spool);
        }
    }

    private void Output(WalPushResult result)
    {
        if (result.BatchId != null || result.AlreadyArchived.Count > 0) WriteObject(result);
    }
}
