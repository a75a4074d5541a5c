namespace BackupTools.Core.Repository.Chunked;

/// <summary>What Optimize-BackupRepository did (or, with -WhatIf, would do).</summary>
public sealed class PruneResult
{
    public required string Repository { get; init; }
    /// <summary>False with -WhatIf (or a "no" at -Confirm): nothing was changed.</summary>
    public required bool Applied { get; init; }
    /// <summary>Packs deleted because no kept backup uses any chunk in them.</summary>
    public required int PacksRemoved { get; init; }
    /// <summary>Mostly-unused packs whose live chunks were copied into new packs before they were deleted.</summary>
    public required int PacksRewritten { get; init; }
    /// <summary>New packs written with the rewritten packs' live chunks.</summary>
    public required int PacksWritten { get; init; }
    /// <summary>Packs no index file named (left by a killed backup or prune), deleted.</summary>
    public required int UnindexedPacksRemoved { get; init; }
    /// <summary>Chunks some kept backup references.</summary>
    public required int ChunksKept { get; init; }
    /// <summary>Chunks copied into new packs.</summary>
    public required int ChunksRepacked { get; init; }
    /// <summary>Stored bytes freed (deleted packs and index files minus the new ones; with -WhatIf an estimate).</summary>
    public required long BytesFreed { get; init; }
    public required int IndexFilesReplaced { get; init; }
    public TimeSpan Duration { get; init; }
}
