using System.Management.Automation;
using BackupTools.Core.Engines.Redis;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>One BackupRecord holding the server's append-only files as a consistent set (a tar).</summary>
[Cmdlet(VerbsData.Backup, "RedisAof")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupRedisAofCommand : RedisBackupCmdlet
{
    /// <summary>The folder holding the AOF files (default: CONFIG GET dir + appenddirname).</summary>
    [Parameter]
    public string? AofDirectory { get; set; }

    /// <summary>How long to wait for a running AOF rewrite to finish.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int RewriteTimeoutSec { get; set; } = 600;

    protected override void ProcessRecord()
    {
        try
        {
            var request = new RedisAofBackupRequest(ReferenceTo(Repository), BuildRedisTarget(), AofDirectory is null ? null : ResolvePath(AofDirectory),
                TimeSpan.FromSeconds(RewriteTimeoutSec), Cell, RequestedCompression, LoadKeys(), LockTimeout);
            WriteObject(RunCore((observer, _, cancel) => new RedisAofBackupOperation(observer).Run(request, cancel)));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Server ?? "localhost");
        }
    }
}
