using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Posix;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// Walks a cell's tree without following symlinks, in a stable order (children sorted ordinally), and
/// describes every directory, file and symlink from lstat, so a dangling symlink is just a symlink. Names
/// are taken as the bytes they are (PosixNames). FIFOs, sockets and devices, entries that vanish while the
/// tree is walked, and paths longer than PATH_MAX (which no call can name) are skipped with a warning that
/// names them; the rest of the tree is still backed up. The root itself is the entry with the empty path.
/// </summary>
public static class TreeScanner
{
    public static IEnumerable<CellEntry> Scan(string root, IOperationObserver observer)
    {
        var rootInfo = new DirectoryInfo(root);
        if (!rootInfo.Exists)
            throw new BackupInputException("CellPathNotFound", "Path", $"'{root}' does not exist or is not a directory.", "Check the path of the cell's data.");
        // A root given through a symlink is described (and listed) as the folder it leads to.
        var rootStat = PosixFiles.LStat(rootInfo.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? root);
        yield return new CellEntry("", CellEntryKind.Directory, 0, rootStat.MTimeTicks, rootStat.Mode, null, rootStat.Uid, rootStat.Gid);
        var pending = new Stack<string>();
        pending.Push("");
        while (pending.Count > 0)
        {
            var relative = pending.Pop();
            var directory = relative.Length == 0 ? root : Path.Combine(root, relative);
            List<string> names;
            try
            {
                names = PosixFiles.ListNames(directory);
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                throw new BackupToolsException("CellPathUnreadable", FailureKind.WriteError,
                    $"Cannot read directory '{PosixNames.Display(directory)}': {e.Message}", "Run the backup as a user that can read the whole cell.", e);
            }
            names.Sort(string.CompareOrdinal);
            var subdirectories = new List<string>();
            foreach (var name in names)
            {
                var path = relative.Length == 0 ? name : relative + "/" + name;
                var full = Path.Combine(directory, name);
                var entry = Describe(full, path, observer);
                if (entry is null) continue;
                yield return entry;
                if (entry.Kind == CellEntryKind.Directory) subdirectories.Add(path);
            }
            for (var i = subdirectories.Count - 1; i >= 0; i--) pending.Push(subdirectories[i]);
        }
    }

    private static CellEntry? Describe(string full, string path, IOperationObserver observer)
    {
        var length = PosixFiles.ByteLength(full);
        if (length >= PosixFiles.PathMax)
        {
            observer.Warning($"Skipping '{PosixNames.Display(full)}': its path is {length} bytes, longer than the system's limit of {PosixFiles.PathMax - 1} (PATH_MAX), so it cannot be read or restored by path. Move it higher in the tree to back it up.");
            return null;
        }
        var stat = PosixFiles.LStat(full);
        string? target = null;
        switch (stat.Kind)
        {
            case PosixKind.Other:
                observer.Warning($"Skipping '{PosixNames.Display(full)}': not a regular file, directory or symlink.");
                return null;
            case PosixKind.Missing:
                observer.Warning($"Skipping '{PosixNames.Display(full)}': it was deleted while the tree was being read.");
                return null;
            case PosixKind.Unknown:
                observer.Warning($"Skipping '{PosixNames.Display(full)}': it cannot be examined (lstat failed).");
                return null;
            case PosixKind.Symlink when (target = PosixFiles.ReadLink(full)) is null:
                observer.Warning($"Skipping '{PosixNames.Display(full)}': its symlink target cannot be read.");
                return null;
        }
        var kind = stat.Kind switch
        {
            PosixKind.Directory => CellEntryKind.Directory,
            PosixKind.Symlink => CellEntryKind.Symlink,
            _ => CellEntryKind.File,
        };
        var mode = OperatingSystem.IsWindows() ? 0 : stat.Mode;
        return new CellEntry(path, kind, kind == CellEntryKind.File ? stat.Size : 0, stat.MTimeTicks, mode, target, stat.Uid, stat.Gid);
    }
}
