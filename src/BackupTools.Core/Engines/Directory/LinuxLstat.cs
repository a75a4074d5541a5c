using System.Runtime.InteropServices;
using System.Text;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// lstat(2) on any glibc .NET runs on. glibc exports <c>lstat</c> only since 2.33; before that (RHEL 8, Ubuntu
/// 20.04, Debian 11: 2.28–2.31) the symbol is <c>__lxstat</c> with a version argument, and <c>statx</c> (2.28+,
/// one layout on every architecture) is the last resort. The first that resolves is remembered.
/// </summary>
internal static class LinuxLstat
{
    public enum Method { Lstat, Lxstat, Statx }

    /// <summary>The entry's own st_mode (type and permission bits), owner, size and mtime; Errno ≠ 0 when lstat failed.</summary>
    public readonly record struct Result(uint Mode, int Uid, int Gid, long Size = 0, long MTimeSeconds = 0, long MTimeNanoseconds = 0, int Errno = 0)
    {
        public bool Ok => Errno == 0;
    }

    /// <summary>Tests set this to run one method only (null: the first that the C library exports).</summary>
    internal static Method? Forced { get; set; }

    /// <summary>Tests: methods to treat as not exported, as an older glibc would (then call <see cref="ResetResolution"/>).</summary>
    internal static IReadOnlySet<Method> SimulatedMissing { get; set; } = new HashSet<Method>();

    internal static void ResetResolution() => _resolved = Method.Lstat;

    private static Method _resolved = Method.Lstat;

    // struct stat offsets of st_mode, st_uid, st_gid; __lxstat's version argument (_STAT_VER) per architecture.
    // st_size (48) and st_mtim (88) sit at the same offsets in both layouts.
    private static readonly (int Mode, int Uid, int Gid, int StatVersion)? StatLayout =
        RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (24, 28, 32, 1),
            Architecture.Arm64 => (16, 24, 28, 0),
            _ => null,
        };

    /// <summary>The method in use (after the first call: the one that resolved).</summary>
    public static Method Current => Forced ?? _resolved;

    /// <summary>lstat of <paramref name="path"/>; null when it fails (missing, no access) or off Linux.</summary>
    public static Result? Get(string path) => Get(CString(path)) is { Ok: true } r ? r : null;

    /// <summary>lstat of a NUL-terminated path as bytes (names need not be UTF-8); null off Linux.</summary>
    public static Result? Get(byte[] cPath)
    {
        if (!OperatingSystem.IsLinux()) return null;
        if (Forced is { } only) return Call(only, cPath);
        while (true)
        {
            var method = _resolved;
            try
            {
                return Call(method, cPath);
            }
            catch (EntryPointNotFoundException) when (method < Method.Statx)
            {
                _resolved = method + 1;
            }
        }
    }

    private static Result Call(Method method, byte[] path)
    {
        if (SimulatedMissing.Contains(method)) throw new EntryPointNotFoundException($"{method} (simulated)");
        var buffer = new byte[256]; // struct stat is 144 (x64) / 128 (arm64) bytes, struct statx 256
        if (method == Method.Statx)
        {
            if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0) return Failed();
            return new Result(BitConverter.ToUInt16(buffer, 28), BitConverter.ToInt32(buffer, 20), BitConverter.ToInt32(buffer, 24),
                BitConverter.ToInt64(buffer, 40), BitConverter.ToInt64(buffer, 112), BitConverter.ToUInt32(buffer, 120));
        }
        if (StatLayout is not { } layout) return Call(Method.Statx, path); // struct stat differs per architecture
        var rc = method == Method.Lstat ? lstat(path, buffer) : __lxstat(layout.StatVersion, path, buffer);
        if (rc != 0) return Failed();
        return new Result(BitConverter.ToUInt32(buffer, layout.Mode), BitConverter.ToInt32(buffer, layout.Uid), BitConverter.ToInt32(buffer, layout.Gid),
            BitConverter.ToInt64(buffer, 48), BitConverter.ToInt64(buffer, 88), BitConverter.ToInt64(buffer, 96));
    }

    private static Result Failed() => new(0, -1, -1, Errno: Math.Max(1, Marshal.GetLastPInvokeError()));

    private static byte[] CString(string path)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff; // type, mode, nlink, uid, gid, times, ino, size, blocks

    [DllImport("libc", SetLastError = true)] private static extern int lstat(byte[] path, byte[] buf);
    [DllImport("libc", SetLastError = true)] private static extern int __lxstat(int version, byte[] path, byte[] buf);
    [DllImport("libc", SetLastError = true)] private static extern int statx(int dirfd, byte[] path, int flags, uint mask, byte[] buf);
}
