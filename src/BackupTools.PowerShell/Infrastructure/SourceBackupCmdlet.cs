using BackupTools.Core.Repository;
using System.Management.Automation;
using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Backup cmdlets whose source has no connection base of its own (Backup-CommandOutput, Backup-S3Bucket): where and
/// how the backup is written (-Repository, -StorageCredential, -Compression, -CompressionLevel, -LockTimeoutSec).
/// </summary>
public abstract class SourceBackupCmdlet : RepositoryCmdlet
{


    [Parameter]
    [ValidateSet("zstd", "gzip", "none", IgnoreCase = true)]
    public string? Compression { get; set; }

    [Parameter]
    public int? CompressionLevel { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    protected CompressionSettings? RequestedCompression => CompressionSettings.ParseOptional(Compression, CompressionLevel);
    protected TimeSpan LockTimeout => TimeSpan.FromSeconds(LockTimeoutSec);
}
