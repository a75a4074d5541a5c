namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>
/// Materialises archive entries under a root folder the restore owns (a fresh staging folder). Nothing is
/// ever written through a symlink: every parent component must be a real directory, and symlinks from the
/// archive are only recorded and created in Complete, after all content is in place. Directory modes and
/// mtimes are applied last too (deepest first), since writing into a folder changes its mtime.
/// </summary>
public sealed class SafeTreeExtractor
{
    private const UnixFileMode BuildMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly string _root;
    private readonly Dictionary<string, string> _symlinks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Mode, DateTimeOffset MTime)> _directories = new(StringComparer.Ordinal);

    public SafeTreeExtractor(string rootDirectory)
    {
        _root = Path.GetFullPath(rootDirectory);
        System.IO.Directory.CreateDirectory(_root);
    }

    public void Apply(TarEntry entry)
    {
        var path = TarPathGuard.Normalize(entry.Header.Path);
        var full = PrepareParents(path, entry.Header.Path);
        _symlinks.Remove(path);
        switch (entry.Header.Kind)
        {
            case TarEntryKind.Directory:
                if (!IsRealDirectory(full)) { RemoveExisting(full); CreateDirectory(full); }
                _directories[path] = (entry.Header.Mode, entry.Header.ModifiedAt);
                break;
            case TarEntryKind.Symlink:
                _symlinks[path] = entry.Header.LinkTarget ?? "";
                _directories.Remove(path);
                break;
            default:
                RemoveExisting(full);
                _directories.Remove(path);
                entry.ExtractTo(full);
                ApplyFileMetadata(full, entry.Header.Mode, entry.Header.ModifiedAt);
                break;
        }
    }

    /// <summary>Deletes a path (file, symlink or whole folder) a later backup no longer has.</summary>
    public void Remove(string relativePath)
    {
        var path = TarPathGuard.Normalize(relativePath);
        var full = PrepareParents(path, relativePath, create: false);
        RemoveExisting(full);
        _symlinks.Remove(path);
        foreach (var key in _symlinks.Keys.Where(k => k.StartsWith(path + "/", StringComparison.Ordinal)).ToList()) _symlinks.Remove(key);
        _directories.Remove(path);
        foreach (var key in _directories.Keys.Where(k => k.StartsWith(path + "/", StringComparison.Ordinal)).ToList()) _directories.Remove(key);
    }

    public void Complete()
    {
        foreach (var (path, target) in _symlinks.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var full = PrepareParents(path, path);
            RemoveExisting(full);
            File.CreateSymbolicLink(full, target);
        }
        foreach (var (path, meta) in _directories.OrderByDescending(p => p.Key.Length))
        {
            var full = Path.Combine(_root, path);
            if (!IsRealDirectory(full)) continue;
            System.IO.Directory.SetLastWriteTimeUtc(full, meta.MTime.UtcDateTime);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(full, (UnixFileMode)meta.Mode);
        }
    }

    /// <summary>Checks (and creates) every parent of a path as a real directory under the root.</summary>
    private string PrepareParents(string path, string original, bool create = true)
    {
        var parts = path.Split('/');
        var current = _root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            current = Path.Combine(current, parts[i]);
            var info = new FileInfo(current);
            if (info.LinkTarget != null) throw TarPathGuard.Escape(original);
            if (IsRealDirectory(current)) continue;
            if (!create) return Path.Combine(_root, path);
            if (info.Exists) info.Delete(); // a file where a folder now is
            CreateDirectory(current);
        }
        var full = Path.Combine(_root, path);
        if (!Path.GetFullPath(full).StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw TarPathGuard.Escape(original);
        return full;
    }

    private static bool IsRealDirectory(string full)
    {
        var info = new DirectoryInfo(full);
        return info.Exists && info.LinkTarget is null;
    }

    private static void RemoveExisting(string full)
    {
        var info = new FileInfo(full);
        if (info.LinkTarget != null || info.Exists) { info.Delete(); return; }
        if (System.IO.Directory.Exists(full))
        {
            MakeWritable(full);
            System.IO.Directory.Delete(full, recursive: true);
        }
    }

    /// <summary>Folders keep their restrictive final modes only after Complete; before deleting one, undo that.</summary>
    private static void MakeWritable(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        foreach (var sub in new DirectoryInfo(dir).EnumerateDirectories("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }).Prepend(new DirectoryInfo(dir)))
            File.SetUnixFileMode(sub.FullName, File.GetUnixFileMode(sub.FullName) | BuildMode);
    }

    private static void CreateDirectory(string full)
    {
        if (OperatingSystem.IsWindows()) System.IO.Directory.CreateDirectory(full);
        else System.IO.Directory.CreateDirectory(full, BuildMode);
    }

    private static void ApplyFileMetadata(string full, int mode, DateTimeOffset mtime)
    {
        File.SetLastWriteTimeUtc(full, mtime.UtcDateTime);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(full, (UnixFileMode)mode);
    }
}
