using System.Management.Automation;
using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Backup-Postgres, Backup-MySql: a database connection plus where and how the backup is written (-Repository,
/// -StorageCredential, -Cell, -Compression, -CompressionLevel, -LockTimeoutSec). PowerShell binds parameters
/// declared on the cmdlet's own class chain only, so that block stands once on each connection base (here and
/// RedisBackupCmdlet below).
/// </summary>
public abstract class DatabaseBackupCmdlet : DatabaseCmdlet
{


    /// <summary>Cell the records belong to (default chosen by the engine: the database's own name).</summary>
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

    protected CompressionSettings? RequestedCompression => CompressionSettings.ParseOptional(Compression, CompressionLevel);
    protected TimeSpan LockTimeout => TimeSpan.FromSeconds(LockTimeoutSec);
}

/// <summary>Backup-RedisRdb, Backup-RedisAof: a Redis connection plus the same backup writer parameters.</summary>
public abstract class RedisBackupCmdlet : RedisCmdlet
{


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

    protected CompressionSettings? RequestedCompression => CompressionSettings.ParseOptional(Compression, CompressionLevel);
    protected TimeSpan LockTimeout => TimeSpan.FromSeconds(LockTimeoutSec);
}
