using System.Runtime.InteropServices;

namespace BackupTools.Core.Storage;

/// <summary>Creates repository files and folders private to the owner (0600 / 0700) from the first byte.</summary>
public static class PrivateFileSystem
{
    public const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) { Directory.CreateDirectory(path); return; }
        // Create missing parents one by one: the mode given to CreateDirectory applies to the leaf only.
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return;
        var parent = Path.GetDirectoryName(full);
        if (parent != null && !Directory.Exists(parent)) CreateDirectory(parent);
        Directory.CreateDirectory(full, PrivateDirectory);
    }

    public static FileStream CreateFile(string path, FileMode mode, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.None, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFile;
        return new FileStream(path, options);
    }

    /// <summary>fsync a directory so a rename inside it survives a crash (no-op where unsupported).</summary>
    public static void SyncDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = open(path, 0 /* O_RDONLY */);
        if (fd < 0) return;
        fsync(fd);
        close(fd);
    }

    [DllImport("libc", SetLastError = true)] private static extern int open([MarshalAs(UnmanagedType.LPStr)] string path, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int fsync(int fd);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
}
