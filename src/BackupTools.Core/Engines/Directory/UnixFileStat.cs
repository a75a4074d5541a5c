using System.Runtime.InteropServices;
using BackupTools.Core.Posix;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// lstat(2) (through <see cref="LinuxLstat"/>, which works on every glibc: lstat, __lxstat or statx) for what .NET
/// does not expose: the file type (so FIFOs, sockets and devices are skipped rather than blocking a read), the owner
/// ids (so a restore as root gives files back to their owners), and the entry's own mode, size and mtime (a dangling
/// symlink has no target to ask). Paths go to libc as bytes, so names that are not UTF-8 (PosixNames) work.
/// Linux only; elsewhere Unknown, and the caller falls back to .NET's view.
/// </summary>
internal static class UnixFileStat
{
    public enum FileType { Unknown, Regular, Directory, Symlink, Other, Missing }

    /// <summary>Mode holds the permission bits (07777); MTimeTicks is UTC ticks, truncated to 100 ns like .NET's.</summary>
    public readonly record struct Info(FileType Type, int Uid, int Gid, int Mode = 0, long Size = 0, long MTimeTicks = 0);

    private const int ENOENT = 2, ENOTDIR = 20;

    public static bool Supported => OperatingSystem.IsLinux();

    public static Info Get(string path)
    {
        if (!Supported || LinuxLstat.Get(PosixNames.ToCString(path)) is not { } stat) return new Info(FileType.Unknown, -1, -1);
        if (!stat.Ok) return new Info(stat.Errno is ENOENT or ENOTDIR ? FileType.Missing : FileType.Unknown, -1, -1);
        var type = (stat.Mode & 0xF000) switch
        {
            0x8000 => FileType.Regular,
            0x4000 => FileType.Directory,
            0xA000 => FileType.Symlink,
            _ => FileType.Other,
        };
        var mtime = stat.MTimeSeconds is > -62_135_596_800L and < 253_402_300_799L
            ? DateTime.UnixEpoch.Ticks + stat.MTimeSeconds * TimeSpan.TicksPerSecond + stat.MTimeNanoseconds / 100
            : DateTime.UnixEpoch.Ticks; // beyond what DateTime holds: the epoch, as for any unknown time
        return new Info(type, stat.Uid, stat.Gid, (int)(stat.Mode & 0xFFF), stat.Size, mtime);
    }

    public static bool IsRoot => OperatingSystem.IsLinux() && geteuid() == 0;

    public static void SetOwner(string path, int uid, int gid)
    {
        if (!OperatingSystem.IsLinux() || uid < 0 || gid < 0) return;
        lchown(PosixNames.ToCString(path), uid, gid);
    }

    [DllImport("libc", SetLastError = true)] private static extern int lchown(byte[] path, int uid, int gid);
    [DllImport("libc")] private static extern uint geteuid();
}
