using System.Management.Automation;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Archives a MySQL/MariaDB server's binlog into the repository over the replication protocol. Without -Watch: one
/// pass up to the server's current end. With -Watch: the long-running archiver (until Ctrl+C), pushing the growing
/// file every -IntervalSec; each push is reported as a verbose line, all of them are output when it stops.
/// </summary>
[Cmdlet("Push", "MySqlBinlog")]
[OutputType(typeof(BinlogPushResult))]
public sealed class PushMySqlBinlogCommand : DatabaseCmdlet
{
    /// <summary>Local folder the streamer writes to; files leave it once archived.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Spool { get; set; } = "";

    /// <summary>The archive's cell (default mysql-&lt;host&gt;-&lt;port&gt;).</summary>
    [Parameter]
    public string? Cell { get; set; }



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

    /// <summary>Where an empty archive starts (default: the oldest binlog file the server has).</summary>
    [Parameter]
    public string? StartFile { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var target = BuildMySqlTarget();
            var request = new BinlogArchiveRequest(ReferenceTo(Repository), target, Cell ?? BinlogArchiveRequest.DefaultCell(target), ResolvePath(Spool),
                ResolvedToolPath, CompressionSettings.ParseOptional(Compression, null), LoadKeys(), TimeSpan.FromSeconds(LockTimeoutSec), Watch,
                TimeSpan.FromSeconds(IntervalSec), StartFile);
            var results = RunCore((observer, _, cancel) => new BinlogArchiver(observer).Run(request, cancel)
                .Select(r => { observer.Verbose($"Archived {string.Join(", ", r.Segments.Select(s => $"{s.File} {s.Start}..{s.End}"))} as {r.BatchId}."); return r; })
                .ToList());
            foreach (var result in results) WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Spool);
        }
    }
}
