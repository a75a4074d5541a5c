namespace BackupTools.Core.Engines.Directory.Tar;

public enum TarEntryKind { File, Directory, Symlink }

/// <summary>A data region of a sparse file; everything outside the regions is a hole (zeros).</summary>
public readonly record struct SparseRegion(long Offset, long Length);

/// <summary>
/// One archive entry's metadata. Path is relative with '/' separators; Size is the file's real
/// (apparent) size even for sparse files, whose data regions are listed in Sparse.
/// </summary>
public sealed record TarEntryHeader(
    string Path,
    TarEntryKind Kind,
    int Mode,
    DateTimeOffset ModifiedAt,
    long Size,
    string? LinkTarget = null,
    IReadOnlyList<SparseRegion>? Sparse = null);
