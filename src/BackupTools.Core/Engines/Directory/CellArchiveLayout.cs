namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// Inside a cell's data object (a tar): "meta.json" first, then the tree under "data/". Keeping the tree
/// under its own folder means a file called meta.json in the cell can never collide with ours, and
/// `tar xf` by hand gives an operator both, side by side.
/// </summary>
public static class CellArchiveLayout
{
    public const string MetaEntry = "meta.json";
    public const string DataRoot = "data";

    public static string ToArchivePath(string cellPath) => cellPath.Length == 0 ? DataRoot : DataRoot + "/" + cellPath;

    public static bool TryFromArchivePath(string archivePath, out string cellPath)
    {
        if (archivePath == DataRoot) { cellPath = ""; return true; }
        if (archivePath.StartsWith(DataRoot + "/", StringComparison.Ordinal)) { cellPath = archivePath[(DataRoot.Length + 1)..]; return true; }
        cellPath = "";
        return false;
    }
}
