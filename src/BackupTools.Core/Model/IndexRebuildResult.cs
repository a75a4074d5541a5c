namespace BackupTools;

/// <summary>What Repair-BackupRepository -RebuildIndex rebuilt: the catalog from the manifests, and (format 2) the chunk index from the packs.</summary>
public sealed class IndexRebuildResult
{
    public required string Repository { get; init; }
    /// <summary>Backups in the rebuilt catalog (every readable manifest).</summary>
    public required int Backups { get; init; }
    /// <summary>Packs in data/ (0 in a format-1 repository).</summary>
    public int Packs { get; init; }
    /// <summary>Packs no index file listed, indexed again from their own headers.</summary>
    public int PacksReadFromHeaders { get; init; }
    /// <summary>Packs whose header could not be read (damaged, or under a key not given): their chunks stay unindexed.</summary>
    public int PacksUnreadable { get; init; }
    public int IndexFilesWritten { get; init; }
    /// <summary>Damaged index files, and ones that listed missing packs, replaced by the new one.</summary>
    public int IndexFilesRemoved { get; init; }
    public TimeSpan Duration { get; init; }
}
