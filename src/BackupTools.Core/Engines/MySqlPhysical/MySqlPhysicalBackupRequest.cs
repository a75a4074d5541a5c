using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.MySqlPhysical;

/// <summary>
/// Backup-MySqlPhysical: a hot physical backup of a whole MariaDB server (mariadb-backup, run on the server's host).
/// Cell defaults to the server's binlog cell (mysql-&lt;host&gt;-&lt;port&gt;), so the backups and the binlog they need sit together.
/// </summary>
public sealed record MySqlPhysicalBackupRequest(
    RepositoryReference Repository,
    MySqlTarget Target,
    string? Cell,
    string? ToolPath,
    CompressionSettings? Compression,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    IReadOnlyDictionary<string, string>? Tags = null);
