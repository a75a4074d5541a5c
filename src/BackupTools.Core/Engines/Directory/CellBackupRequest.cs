using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.Core.Engines.Directory;

/// <summary>Everything Backup-Cell passes to the core.</summary>
public sealed record CellBackupRequest(
    string RepositoryLocation,
    string Cell,
    string Path,
    BackupKind Kind,
    CompressionSettings? Compression,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    IReadOnlyDictionary<string, string>? Tags = null);
