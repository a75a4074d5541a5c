using BackupTools.Core.Repository;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// Everything Backup-Cell passes to the core. FullEvery (plans): an Incremental/Differential becomes a Full
/// when the newest Full of this tree is older than that, so chains stay short without a second schedule.
/// </summary>
public sealed record CellBackupRequest(
    RepositoryReference Repository,
    string Cell,
    string Path,
    BackupKind Kind,
    CompressionSettings? Compression,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    IReadOnlyDictionary<string, string>? Tags = null,
    TimeSpan? FullEvery = null);
