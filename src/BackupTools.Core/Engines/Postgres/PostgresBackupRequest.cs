using BackupTools.Core.Repository;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>Everything Backup-Postgres passes to the core. Jobs ≥ 2: parallel directory-format dump via a scratch folder.</summary>
public sealed record PostgresBackupRequest(
    RepositoryReference Repository,
    PostgresTarget Target,
    IReadOnlyList<string> Databases,
    bool AllDatabases,
    bool IncludeGlobals,
    bool SchemaOnly,
    IReadOnlyList<string> Schemas,
    IReadOnlyList<string> Tables,
    string? Cell,
    string? ToolPath,
    CompressionSettings? Compression,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    IReadOnlyDictionary<string, string>? Tags = null,
    int Jobs = 1);

/// <summary>One item's result: a record, or the error that stopped it (other items still run).</summary>
public sealed record ItemOutcome(string Item, BackupRecord? Record, Exception? Error);
