using System.Management.Automation;
using BackupTools.Core.Engines.Redis;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>One BackupRecord holding the server's append-only files as a consistent set (a tar).</summary>
[Cmdlet(VerbsData.Backup, "RedisAof")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupRedisAofCommand : RedisCmdlet, IStorageCredentialParameter
{
    /// <summary>The folder holding the AOF files (default: CONFIG GET dir + appenddirname).</summary>
    [Parameter]
    public string? AofDirectory { get; set; }

    /// <summary>How long to wait for a running AOF rewrite to finish.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int RewriteTimeoutSec { get; set; } = 600;

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
            var request = new RedisAofBackupRequest(ResolveRepository(Repository)!, BuildRedisTarget(), AofDirectory is null ? null : ResolvePath(AofDirectory),
                TimeSpan.FromSeconds(RewriteTimeoutSec), Cell, Compression is null ? null : CompressionSettings.Parse(Compression, CompressionLevel),
                LoadKeys(), TimeSpan.FromSeconds(LockTimeoutSec));
            WriteObject(RunCore((observer, _, cancel) => new RedisAofBackupOperation(observer).Run(request, cancel)));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Server ?? "localhost");
        }
    }
}
