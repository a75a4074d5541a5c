using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.Core.Repository;

/// <summary>What a backup about to be written is: enough to name it and fill its manifest.</summary>
public sealed record BackupPlan(
    string Cell,
    string Source,
    string Engine,
    BackupKind Kind,
    string? ParentId,
    CompressionSettings Compression,
    IReadOnlyDictionary<string, string>? Tags = null);
