namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>A data region of a sparse file; everything outside the regions is a hole (zeros).</summary>
public readonly record struct SparseRegion(long Offset, long Length);
