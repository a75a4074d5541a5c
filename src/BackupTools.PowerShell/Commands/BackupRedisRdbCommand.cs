using System.Management.Automation;
using BackupTools.Core.Engines.Redis;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>One BackupRecord holding the server's RDB snapshot (all databases).</summary>
[Cmdlet(VerbsData.Backup, "RedisRdb")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupRedisRdbCommand : RedisBackupCmdlet
{
    /// <summary>Replication (default: SYNC over the network) or LocalFile (BGSAVE, then read the dump file).</summary>
    [Parameter]
    public RedisBackupMode Mode { get; set; } = RedisBackupMode.Replication;

    /// <summary>With -Mode LocalFile: the dump file (default: the server's CONFIG GET dir + dbfilename).</summary>
    [Parameter]
    public string? RdbPath { get; set; }

    /// <summary>With -Mode LocalFile: how long the BGSAVE may take.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int SaveTimeoutSec { get; set; } = 600;

    protected override void ProcessRecord()
    {
        try
        {
            var request = new RedisBackupRequest(ReferenceTo(Repository), BuildRedisTarget(), Mode, RdbPath is null ? null : ResolvePath(RdbPath),
                TimeSpan.FromSeconds(SaveTimeoutSec), Cell, RequestedCompression, LoadKeys(), LockTimeout);
            WriteObject(RunCore((observer, _, cancel) => new RedisBackupOperation(observer).Run(request, cancel)));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Server ?? "localhost");
        }
    }
}
