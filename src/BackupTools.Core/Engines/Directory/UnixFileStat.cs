using System.Runtime.InteropServices;
using BackupTools.Core.Posix;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// lstat(2) for what .NET does not expose: the file type (so FIFOs, sockets and devices are skipped rather
/// than blocking a read), the owner ids (so a restore as root gives files back to their owners), and the
/// entry's own mode, size and mtime (a dangling symlink has no target to ask). Paths go to libc as bytes,
/// so names that are not UTF-8 (PosixNames) work. Linux x64/arm64 only; elsewhere Unknown, and the caller
/// falls back to .NET's view.
/// </summary>
internal static class UnixFileStat
{
    public enum FileType { Unknown, Regular, Directory, Symlink, Other, Missing }

    /// <summary>Mode holds the permission bits (07777); MTimeTicks is UTC ticks, truncated to 100 ns like .NET's.</summary>
    public readonly record struct Info(FileType Type, int Uid, int Gid, int Mode = 0, long Size = 0, long MTimeTicks = 0);

    private const int ENOENT = 2, ENOTDIR = 20;

    private static readonly (int Mode, int Uid, int Gid)? Offsets =
        !OperatingSystem.IsLinux() ? null :
        RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (24, 28, 32),
            Architecture.Arm64 => (16, 24, 28),
            _ => null,
        };

    // st_size and st_mtim sit at the same offsets in both layouts.
    private const int SizeOffset = 48, MTimeOffset = 88;

    public static bool Supported => Offsets is not null;

    public static Info Get(string path)
    {
        if (Offsets is not { } o) return new Info(FileType.Unknown, -1, -1);
        var buffer = new byte[256];
        if (lstat(PosixNames.ToCString(path), buffer) != 0)
            return new Info(Marshal.GetLastPInvokeError() is ENOENT or ENOTDIR ? FileType.Missing : FileType.Unknown, -1, -1);
        var mode = BitConverter.ToUInt32(buffer, o.Mode);
        var type = (mode & 0xF000) switch
        {
            0x8000 => FileType.Regular,
            0x4000 => FileType.Directory,
            0xA000 => FileType.Symlink,
            _ => FileType.Other,
        };
        var seconds = BitConverter.ToInt64(buffer, MTimeOffset);
        var nanoseconds = BitConverter.ToInt64(buffer, MTimeOffset + 8);
        var mtime = seconds is > -62_135_596_800L and < 253_402_300_799L
            ? DateTime.UnixEpoch.Ticks + seconds * TimeSpan.TicksPerSecond + nanoseconds / 100
            : DateTime.UnixEpoch.Ticks; // beyond what DateTime holds: the epoch, as for any unknown time
        return new Info(type, BitConverter.ToInt32(buffer, o.Uid), BitConverter.ToInt32(buffer, o.Gid),
            (int)(mode & 0xFFF), BitConverter.ToInt64(buffer, SizeOffset), mtime);
    }

    public static bool IsRoot => OperatingSystem.IsLinux() && geteuid() == 0;

    public static void SetOwner(string path, int uid, int gid)
    {
        if (!OperatingSystem.IsLinux() || uid < 0 || gid < 0) return;
        lchown(PosixNames.ToCString(path), uid, gid);
    }

    [DllImport("libc", SetLastError = true)] private static extern int lstat(byte[] path, byte[] buf);
    [DllImport("libc", SetLastError = true)] private static extern int lchown(byte[] path, int uid, int gid);
    [DllImport("libc")] private static extern uint geteuid();
}
