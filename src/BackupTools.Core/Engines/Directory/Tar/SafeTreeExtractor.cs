using BackupTools.Core.Posix;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>
/// Materialises archive entries under a root folder the restore owns (a fresh staging folder), layer after
/// layer. Nothing is ever written through a symlink: every parent component must be a real directory, and
/// symlinks from the archive are only recorded and created in Complete, after all content is in place, so a
/// link planted by one entry cannot redirect a later one. Directory modes and mtimes are applied last too
/// (deepest first), since writing into a folder changes its mtime and a read-only mode would block writing.
/// </summary>
public sealed class SafeTreeExtractor
{
    // Folders stay owner-writable while entries are added; their real modes come in Complete.
    private const UnixFileMode BuildMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly string _root;
    private readonly Dictionary<string, string> _symlinks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Mode, DateTimeOffset MTime)> _directories = new(StringComparer.Ordinal);
    private bool _completed;

    public SafeTreeExtractor(string rootDirectory)
    {
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootDirectory));
        System.IO.Directory.CreateDirectory(_root);
    }

    public string Root => _root;

    public void Apply(TarEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        EnsureOpen();
        var header = entry.Header;
        // GNU tar's "./" entry is the root itself, which the restore owns: nothing to do.
        if (header.Kind == TarEntryKind.Directory && header.Path is "." or "./") return;
        var path = TarPathGuard.Normalize(header.Path);
        var full = PrepareParents(path, header.Path, create: true)!;
        _symlinks.Remove(path);
        switch (header.Kind)
        {
            case TarEntryKind.Directory:
                if (!IsRealDirectory(full)) { RemoveExisting(full); CreateDirectory(full); }
                _directories[path] = (header.Mode, header.ModifiedAt);
                break;
            case TarEntryKind.Symlink:
                // Only recorded: a later entry for this path (e.g. the folder it became) supersedes it.
                ForgetBelow(path, includeSelf: true);
                _symlinks[path] = header.LinkTarget ?? "";
                break;
            default:
                RemoveExisting(full);
                ForgetBelow(path, includeSelf: true);
                entry.ExtractTo(full);
                ApplyFileMetadata(full, header.Mode, header.ModifiedAt);
                break;
        }
    }

    /// <summary>Deletes a path (file, symlink or whole folder) that a later backup no longer has.</summary>
    public void Remove(string relativePath)
    {
        EnsureOpen();
        var path = TarPathGuard.Normalize(relativePath);
        var full = PrepareParents(path, relativePath, create: false);
        if (full != null) RemoveExisting(full);
        ForgetBelow(path, includeSelf: true);
    }

    /// <summary>Creates the recorded symlinks, then sets folder modes and mtimes deepest first.</summary>
    public void Complete()
    {
        EnsureOpen();
        _completed = true;
        foreach (var (path, target) in _symlinks.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var full = PrepareParents(path, path, create: true)!;
            RemoveExisting(full);
            PosixFiles.CreateSymlink(full, target);
        }
        foreach (var (path, meta) in _directories.OrderByDescending(p => p.Key.Length))
        {
            // Re-check: a folder must still be a real one reached without links before we touch it.
            var full = PrepareParents(path, path, create: false);
            if (full is null || !IsRealDirectory(full)) continue;
            PosixFiles.SetModifiedTime(full, meta.MTime.UtcDateTime);
            PosixFiles.SetMode(full, meta.Mode);
        }
    }

    /// <summary>
    /// Checks every parent of a path is a real directory under the root, refusing symlinks (on disk or
    /// recorded). With create, missing parents are made (replacing a file that stood there); without,
    /// returns null when a parent is missing (nothing below it can exist).
    /// </summary>
    private string? PrepareParents(string path, string original, bool create)
    {
        var parts = path.Split('/');
        var current = _root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            current = Path.Combine(current, parts[i]);
            // A symlink recorded for this parent would later turn it into a link: an entry below it without
            // the folder being re-declared first (which supersedes the link) is an attempt to write through it.
            if (create && _symlinks.ContainsKey(string.Join('/', parts, 0, i + 1))) throw TarPathGuard.Escape(original);
            var kind = PosixFiles.KindOf(current);
            if (kind == PosixKind.Symlink) throw TarPathGuard.Escape(original);
            if (kind == PosixKind.Directory) continue;
            if (!create) return null;
            if (kind != PosixKind.Missing) PosixFiles.DeleteFile(current); // a file where a folder now is
            CreateDirectory(current);
        }
        var full = Path.Combine(_root, path.Replace('/', Path.DirectorySeparatorChar));
        if (!Path.GetFullPath(full).StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw TarPathGuard.Escape(original);
        return full;
    }

    private void ForgetBelow(string path, bool includeSelf)
    {
        if (includeSelf) { _symlinks.Remove(path); _directories.Remove(path); }
        var prefix = path + "/";
        foreach (var key in _symlinks.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList()) _symlinks.Remove(key);
        foreach (var key in _directories.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList()) _directories.Remove(key);
    }

    private void EnsureOpen()
    {
        if (_completed) throw new InvalidOperationException("The extraction was already completed.");
    }

    private static bool IsRealDirectory(string full) => PosixFiles.KindOf(full) == PosixKind.Directory;

    /// <summary>Removes a file, a symlink (never its target) or a folder tree (links inside are unlinked, not followed).</summary>
    private static void RemoveExisting(string full)
    {
        switch (PosixFiles.KindOf(full))
        {
            case PosixKind.Missing: return;
            case PosixKind.Directory: PosixFiles.DeleteTree(full); return;
            default: PosixFiles.DeleteFile(full); return;
        }
    }

    private static void CreateDirectory(string full) => PosixFiles.CreateDirectory(full, BuildMode);

    private static void ApplyFileMetadata(string full, int mode, DateTimeOffset mtime)
    {
        PosixFiles.SetModifiedTime(full, mtime.UtcDateTime);
        PosixFiles.SetMode(full, mode);
    }
}
