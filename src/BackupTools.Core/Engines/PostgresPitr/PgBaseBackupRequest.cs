using BackupTools.Core.Repository;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>Backup-PostgresBase: a physical base backup of a whole cluster (primary or standby).</summary>
public sealed record PgBaseBackupRequest(
    RepositoryReference Repository,
    PostgresTarget Target,
    string? Cell,
    string? ToolPath,
    CompressionSettings? Compression,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    IReadOnlyDictionary<string, string>? Tags = null);
