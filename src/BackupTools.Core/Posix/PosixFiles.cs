using System.Runtime.InteropServices;
using System.Text;
using BackupTools.Core.Engines.Directory;
using Microsoft.Win32.SafeHandles;

namespace BackupTools.Core.Posix;

public enum PosixKind { Missing, File, Directory, Symlink, Other, Unknown }

/// <summary>What lstat says about one entry (never its target). MTimeTicks: UTC ticks.</summary>
public readonly record struct PosixEntry(PosixKind Kind, int Mode, int Uid, int Gid, long Size, long MTimeTicks);

/// <summary>
/// The file operations of cell backups and restores, for any name a Linux file system can hold. A path with
/// non-UTF-8 bytes (PosixNames) goes to libc as those bytes; any other path takes .NET's own call, as
/// before. Listing and lstat always use libc on Linux: .NET's enumeration replaces undecodable bytes with
/// U+FFFD, naming a file that does not exist, and its view of a dangling symlink has no mode.
/// </summary>
public static class PosixFiles
{
    /// <summary>Linux's PATH_MAX, counting the terminating NUL: longer paths cannot be passed to any call.</summary>
    public const int PathMax = 4096;

    private const int O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_CLOEXEC = 0x80000, AT_FDCWD = -100;
    private const long UTIME_OMIT = (1L << 30) - 2;
    private static readonly bool Native = UnixFileStat.Supported;

    public static int ByteLength(string path) => PosixNames.ToBytes(path).Length;

    /// <summary>The names in a directory (not "." or ".."), undecodable bytes escaped.</summary>
    public static List<string> ListNames(string directory)
    {
        if (!Native) return System.IO.Directory.EnumerateFileSystemEntries(directory).Select(p => Path.GetFileName(p)).ToList();
        var dir = opendir(PosixNames.ToCString(directory));
        if (dir == IntPtr.Zero) throw Failure(directory, "list");
        try
        {
            var names = new List<string>();
            while (true)
            {
                // NULL with errno 0 is the end. errno is cleared here, not left to the marshalling stub: a precompiled
                // (ReadyToRun) build left a stale ENOENT from an earlier call, which failed the second backup of a process.
                Marshal.SetLastSystemError(0);
                var entry = readdir(dir);
                if (entry == IntPtr.Zero)
                {
                    if (Marshal.GetLastPInvokeError() != 0) throw Failure(directory, "list");
                    return names;
                }
                var name = NameOf(entry);
                if (name is not "." and not "..") names.Add(name);
            }
        }
        finally
        {
            closedir(dir);
        }
    }

    public static PosixEntry LStat(string path)
    {
        if (Native)
        {
            var s = UnixFileStat.Get(path);
            var kind = s.Type switch
            {
                UnixFileStat.FileType.Regular => PosixKind.File,
                UnixFileStat.FileType.Directory => PosixKind.Directory,
                UnixFileStat.FileType.Symlink => PosixKind.Symlink,
                UnixFileStat.FileType.Other => PosixKind.Other,
                UnixFileStat.FileType.Missing => PosixKind.Missing,
                _ => PosixKind.Unknown,
            };
            return new PosixEntry(kind, s.Mode, s.Uid, s.Gid, s.Size, s.MTimeTicks);
        }
        FileSystemInfo info = new FileInfo(path);
        if (info.LinkTarget is null && System.IO.Directory.Exists(path)) info = new DirectoryInfo(path);
        if (!info.Exists && info.LinkTarget is null) return new PosixEntry(PosixKind.Missing, 0, -1, -1, 0, 0);
        var mode = OperatingSystem.IsWindows() || info.LinkTarget != null ? 0b111_111_111 : (int)info.UnixFileMode;
        var k = info.LinkTarget != null ? PosixKind.Symlink : info is DirectoryInfo ? PosixKind.Directory : PosixKind.File;
        return new PosixEntry(k, mode, -1, -1, info is FileInfo { Exists: true } f && k == PosixKind.File ? f.Length : 0, info.LastWriteTimeUtc.Ticks);
    }

    public static PosixKind KindOf(string path) => LStat(path).Kind;

    /// <summary>A symlink's target as stored (bytes escaped), or null when the path is not a readable symlink.</summary>
    public static string? ReadLink(string path)
    {
        if (!Native) return new FileInfo(path).LinkTarget;
        var buffer = new byte[PathMax];
        var n = readlink(PosixNames.ToCString(path), buffer, buffer.Length);
        return n < 0 || n >= buffer.Length ? null : PosixNames.FromBytes(buffer.AsSpan(0, (int)n));
    }

    public static SafeFileHandle OpenRead(string path)
    {
        if (!PosixNames.HasEscapedBytes(path))
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        var fd = open(PosixNames.ToCString(path), O_CLOEXEC, 0);
        if (fd < 0) throw Failure(path, "open");
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>A new file (never an existing one, never through a link planted at the path), private until its mode is set.</summary>
    public static FileStream CreateNew(string path)
    {
        if (!PosixNames.HasEscapedBytes(path)) return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
        var fd = open(PosixNames.ToCString(path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0b110_000_000);
        if (fd < 0) throw Failure(path, "create");
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, 1);
    }

    public static void CreateDirectory(string path, UnixFileMode mode)
    {
        if (!PosixNames.HasEscapedBytes(path))
        {
            if (OperatingSystem.IsWindows()) System.IO.Directory.CreateDirectory(path);
            else System.IO.Directory.CreateDirectory(path, mode);
            return;
        }
        if (mkdir(PosixNames.ToCString(path), (int)mode) != 0) throw Failure(path, "create the directory");
    }

    public static void CreateSymlink(string path, string target)
    {
        if (!PosixNames.HasEscapedBytes(path) && !PosixNames.HasEscapedBytes(target)) { File.CreateSymbolicLink(path, target); return; }
        if (symlink(PosixNames.ToCString(target), PosixNames.ToCString(path)) != 0) throw Failure(path, "create the symlink");
    }

    /// <summary>Removes a file or symlink (never a link's target).</summary>
    public static void DeleteFile(string path)
    {
        if (!PosixNames.HasEscapedBytes(path)) { File.Delete(path); return; }
        if (unlink(PosixNames.ToCString(path)) != 0) throw Failure(path, "delete");
    }

    /// <summary>Removes a folder and everything in it, read-only parts included; links inside are unlinked, never followed.</summary>
    public static void DeleteTree(string directory)
    {
        if (!OperatingSystem.IsWindows()) SetMode(directory, LStat(directory).Mode | 0b111_000_000);
        foreach (var name in ListNames(directory))
        {
            var child = Path.Combine(directory, name);
            if (KindOf(child) == PosixKind.Directory) DeleteTree(child);
            else DeleteFile(child);
        }
        if (!PosixNames.HasEscapedBytes(directory)) System.IO.Directory.Delete(directory);
        else if (rmdir(PosixNames.ToCString(directory)) != 0) throw Failure(directory, "delete the directory");
    }

    public static void SetMode(string path, int mode)
    {
        if (OperatingSystem.IsWindows()) return;
        if (!PosixNames.HasEscapedBytes(path)) { File.SetUnixFileMode(path, (UnixFileMode)mode); return; }
        if (chmod(PosixNames.ToCString(path), mode) != 0) throw Failure(path, "set the mode of");
    }

    public static void SetModifiedTime(string path, DateTime utc)
    {
        if (!PosixNames.HasEscapedBytes(path))
        {
            if (System.IO.Directory.Exists(path)) System.IO.Directory.SetLastWriteTimeUtc(path, utc);
            else File.SetLastWriteTimeUtc(path, utc);
            return;
        }
        var since = utc.Ticks - DateTime.UnixEpoch.Ticks;
        var seconds = Math.DivRem(since, TimeSpan.TicksPerSecond, out var rest);
        if (rest < 0) { seconds--; rest += TimeSpan.TicksPerSecond; }
        long[] times = [0, UTIME_OMIT, seconds, rest * 100];
        if (utimensat(AT_FDCWD, PosixNames.ToCString(path), times, 0) != 0) throw Failure(path, "set the time of");
    }

    /// <summary>glibc and musl both lay out dirent as ino (8), off (8), reclen (2), type (1), then the name.</summary>
    private static unsafe string NameOf(IntPtr entry)
    {
        var name = (byte*)entry + 19;
        var length = 0;
        while (name[length] != 0) length++;
        return PosixNames.FromBytes(new ReadOnlySpan<byte>(name, length));
    }

    private static Exception Failure(string path, string action)
    {
        var errno = Marshal.GetLastPInvokeError();
        var message = $"Cannot {action} '{PosixNames.Display(path)}': {Marshal.GetPInvokeErrorMessage(errno)}";
        return errno switch
        {
            1 or 13 => new UnauthorizedAccessException(message),
            2 => new FileNotFoundException(message),
            _ => new IOException(message),
        };
    }

    [DllImport("libc", SetLastError = true)] private static extern IntPtr opendir(byte[] path);
    [DllImport("libc", SetLastError = true)] private static extern IntPtr readdir(IntPtr dir);
    [DllImport("libc")] private static extern int closedir(IntPtr dir);
    [DllImport("libc", SetLastError = true)] private static extern int open(byte[] path, int flags, int mode);
    [DllImport("libc", SetLastError = true)] private static extern int mkdir(byte[] path, int mode);
    [DllImport("libc", SetLastError = true)] private static extern int symlink(byte[] target, byte[] path);
    [DllImport("libc", SetLastError = true)] private static extern nint readlink(byte[] path, byte[] buffer, nint size);
    [DllImport("libc", SetLastError = true)] private static extern int unlink(byte[] path);
    [DllImport("libc", SetLastError = true)] private static extern int rmdir(byte[] path);
    [DllImport("libc", SetLastError = true)] private static extern int chmod(byte[] path, int mode);
    [DllImport("libc", SetLastError = true)] private static extern int utimensat(int dirfd, byte[] path, long[] times, int flags);
}
