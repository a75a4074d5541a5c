using BackupTools.Core.Engines.Directory.Tar;
using BackupTools.Core.Errors;
using BackupTools.Core.Posix;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// A private folder beside the destination (same filesystem, so the final swap is a rename). The tree is
/// built in Root/data; SwapInto moves the old data aside, moves the new tree in, and puts the old data back
/// if the second rename fails. Dispose removes whatever is left of the staging folder.
/// </summary>
public sealed class StagingArea : IDisposable
{
    private StagingArea(string root) => Root = root;

    public string Root { get; }
    public string TreeRoot => Path.Combine(Root, CellArchiveLayout.DataRoot);

    public static StagingArea Create(string destination)
    {
        var parent = Path.GetDirectoryName(destination.TrimEnd(Path.DirectorySeparatorChar))
            ?? throw new BackupInputException("RestoreDestinationIsRoot", "Destination", "cannot restore over a filesystem root.", "Restore into a folder.");
        System.IO.Directory.CreateDirectory(parent); // a new destination's parents are created; nothing existing is touched
        var root = Path.Combine(parent, $".{Path.GetFileName(destination)}.bt-restore-{Guid.NewGuid().ToString("N")[..8]}");
        PrivateFileSystem.CreateDirectory(root);
        return new StagingArea(root);
    }

    /// <summary>Where a cell path of a checked index lies in the staged tree; refuses any path that could lead out of it.</summary>
    public string PathOf(string cellPath)
    {
        if (cellPath.Length == 0) return TreeRoot;
        if (!TarPathGuard.TryNormalize(cellPath, out var normal) || normal != cellPath) throw TarPathGuard.Escape(cellPath);
        return Path.Combine(TreeRoot, cellPath);
    }

    /// <summary>Proves the staged tree is complete: every indexed path exists with its kind and size.</summary>
    public (long Files, long Bytes) VerifyAgainst(CellIndex index)
    {
        long files = 0, bytes = 0;
        foreach (var e in index.Entries)
        {
            var full = PathOf(e.Path);
            var found = PosixFiles.LStat(full);
            var ok = e.Kind switch
            {
                CellEntryKind.Symlink => found.Kind == PosixKind.Symlink && PosixFiles.ReadLink(full) == e.LinkTarget,
                CellEntryKind.Directory => found.Kind == PosixKind.Directory,
                _ => found.Kind == PosixKind.File && found.Size == e.Size,
            };
            if (!ok)
                throw new BackupIntegrityException("RestoreVerificationFailed",
                    $"The restored tree is incomplete at '{PosixNames.Display(e.Path)}' ({e.Kind}); the destination was not touched.");
            if (e.Kind == CellEntryKind.File) { files++; bytes += e.Size; }
        }
        return (files, bytes);
    }

    public void SwapInto(string destination)
    {
        if (!System.IO.Directory.Exists(destination))
        {
            System.IO.Directory.Move(TreeRoot, destination);
            return;
        }
        if (!System.IO.Directory.EnumerateFileSystemEntries(destination).Any())
        {
            System.IO.Directory.Delete(destination);
            System.IO.Directory.Move(TreeRoot, destination);
            return;
        }
        var previous = Path.Combine(Root, "previous");
        System.IO.Directory.Move(destination, previous);
        try
        {
            System.IO.Directory.Move(TreeRoot, destination);
        }
        catch
        {
            System.IO.Directory.Move(previous, destination);
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            // Our own walk: .NET's cannot delete names that are not UTF-8.
            if (PosixFiles.KindOf(Root) == PosixKind.Directory) PosixFiles.DeleteTree(Root);
        }
        catch (IOException) { /* leftovers are named .<cell>.bt-restore-*; safe to delete by hand */ }
        catch (UnauthorizedAccessException) { }
    }
}
