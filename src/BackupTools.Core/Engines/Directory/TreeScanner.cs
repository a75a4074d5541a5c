using BackupTools.Core.Errors;
using BackupTools.Core.Operations;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// Walks a cell's tree without following symlinks, in a stable order (children sorted ordinally), and
/// describes every directory, file and symlink. FIFOs, sockets and devices are skipped with a warning.
/// The root itself is the entry with the empty path.
/// </summary>
public static class TreeScanner
{
    public static IEnumerable<CellEntry> Scan(string root, IOperationObserver observer)
    {
        var rootInfo = new DirectoryInfo(root);
        if (!rootInfo.Exists)
            throw new BackupInputException("CellPathNotFound", "Path", $"'{root}' does not exist or is not a directory.", "Check the path of the cell's data.");
        yield return Describe(rootInfo, "")!;
        var pending = new Stack<(DirectoryInfo Dir, string Relative)>();
        pending.Push((rootInfo, ""));
        while (pending.Count > 0)
        {
            var (dir, relative) = pending.Pop();
            FileSystemInfo[] children;
            try
            {
                children = dir.GetFileSystemInfos();
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                throw new BackupToolsException("CellPathUnreadable", FailureKind.WriteError,
                    $"Cannot read directory '{dir.FullName}': {e.Message}", "Run the backup as a user that can read the whole cell.", e);
            }
            Array.Sort(children, (a, b) => string.CompareOrdinal(a.Name, b.Name));
            var subdirectories = new List<(DirectoryInfo, string)>();
            foreach (var child in children)
            {
                var path = relative.Length == 0 ? child.Name : relative + "/" + child.Name;
                var entry = Describe(child, path);
                if (entry is null)
                {
                    observer.Warning($"Skipping '{child.FullName}': not a regular file, directory or symlink.");
                    continue;
                }
                yield return entry;
                if (entry.Kind == CellEntryKind.Directory) subdirectories.Add(((DirectoryInfo)child, path));
            }
            for (var i = subdirectories.Count - 1; i >= 0; i--) pending.Push(subdirectories[i]);
        }
    }

    private static CellEntry? Describe(FileSystemInfo info, string path)
    {
        var stat = UnixFileStat.Get(info.FullName);
        if (stat.Type == UnixFileStat.FileType.Other) return null;
        var mode = OperatingSystem.IsWindows() ? 0 : (int)info.UnixFileMode;
        var mtime = info.LastWriteTimeUtc.Ticks;
        if (info.LinkTarget is { } target)
            return new CellEntry(path, CellEntryKind.Symlink, 0, mtime, mode, target, stat.Uid, stat.Gid);
        if (info is DirectoryInfo)
            return new CellEntry(path, CellEntryKind.Directory, 0, mtime, mode, null, stat.Uid, stat.Gid);
        return new CellEntry(path, CellEntryKind.File, ((FileInfo)info).Length, mtime, mode, null, stat.Uid, stat.Gid);
    }
}
