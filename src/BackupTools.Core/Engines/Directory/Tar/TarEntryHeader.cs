namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>
/// One archive entry's metadata. Path is relative with '/' separators (no leading "./", no trailing '/');
/// Size is the file's real (apparent) size even for sparse files, whose data regions are listed in Sparse
/// (null for dense files). Mode holds the permission bits including setuid/setgid/sticky (0..07777).
/// </summary>
public sealed record TarEntryHeader(
    string Path,
    TarEntryKind Kind,
    int Mode,
    DateTimeOffset ModifiedAt,
    long Size,
    string? LinkTarget = null,
    IReadOnlyList<SparseRegion>? Sparse = null);
