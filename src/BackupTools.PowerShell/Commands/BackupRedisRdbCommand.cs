using System.Management.Automation;
using BackupTools.Core.Engines.Redis;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>One BackupRecord holding the server's RDB snapshot (all databases).</summary>
[Cmdlet(VerbsData.Backup, "RedisRdb")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupRedisRdbCommand : RedisCmdlet, IStorageCredentialParameter
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

    [Parameter]
    public string? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    /// <summary>Cell name (default: redis-&lt;host&gt;-&lt;port&gt;).</summary>
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
            var request = new RedisBackupRequest(ResolveRepository(Repository)!, BuildRedisTarget(), Mode, RdbPath is null ? null : ResolvePath(RdbPath),
                TimeSpan.FromSeconds(SaveTimeoutSec), Cell, Compression is null ? null : CompressionSettings.Parse(Compression, CompressionLevel),
                LoadKeys(), TimeSpan.FromSeconds(LockTimeoutSec));
            WriteObject(RunCore((observer, _, cancel) => new RedisBackupOperation(observer).Run(request, cancel)));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Server ?? "localhost");
        }
    }
}
