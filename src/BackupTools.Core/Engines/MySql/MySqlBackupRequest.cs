using BackupTools.Core.Repository;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.Core.Engines.MySql;

public sealed record MySqlBackupRequest(
    RepositoryReference Repository,
    MySqlTarget Target,
    IReadOnlyList<string> Databases,
    bool AllDatabases,
    bool IncludeSystemDatabases,
    string? Cell,
    string? ToolPath,
    CompressionSettings? Compression,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    IReadOnlyDictionary<string, string>? Tags = null);
