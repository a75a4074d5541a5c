namespace BackupTools.Core.Engines.Directory;

public enum CellEntryKind { File, Directory, Symlink }

/// <summary>One path of a cell's tree as recorded in a backup's index ('/' separators, relative to the cell root).</summary>
public sealed record CellEntry(
    string Path,
    CellEntryKind Kind,
    long Size,
    long ModifiedTicks,
    int Mode,
    string? LinkTarget,
    int Uid = -1,
    int Gid = -1)
{
    /// <summary>Whether the content or metadata differs enough that an incremental must store it again.</summary>
    public bool ChangedSince(CellEntry previous) =>
        Kind != previous.Kind || Size != previous.Size || ModifiedTicks != previous.ModifiedTicks ||
        Mode != previous.Mode || LinkTarget != previous.LinkTarget || Uid != previous.Uid || Gid != previous.Gid;
}
