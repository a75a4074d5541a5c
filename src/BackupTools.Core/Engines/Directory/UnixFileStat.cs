using System.Runtime.InteropServices;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// lstat(2) for what .NET does not expose: the file type (so FIFOs, sockets and devices are skipped rather
/// than blocking a read) and the owner ids (so a restore as root gives files back to their owners).
/// Linux x64/arm64 only; elsewhere Unknown, and the caller falls back to .NET's view.
/// </summary>
internal static class UnixFileStat
{
    public enum FileType { Unknown, Regular, Directory, Symlink, Other }

    public readonly record struct Info(FileType Type, int Uid, int Gid);

    private static readonly (int Mode, int Uid, int Gid)? Offsets =
        !OperatingSystem.IsLinux() ? null :
        RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (24, 28, 32),
            Architecture.Arm64 => (16, 24, 28),
            _ => null,
        };

    public static Info Get(string path)
    {
        if (Offsets is not { } o) return new Info(FileType.Unknown, -1, -1);
        var buffer = new byte[256];
        if (lstat(path, buffer) != 0) return new Info(FileType.Unknown, -1, -1);
        var mode = BitConverter.ToUInt32(buffer, o.Mode);
        var type = (mode & 0xF000) switch
        {
            0x8000 => FileType.Regular,
            0x4000 => FileType.Directory,
            0xA000 => FileType.Symlink,
            _ => FileType.Other,
        };
        return new Info(type, BitConverter.ToInt32(buffer, o.Uid), BitConverter.ToInt32(buffer, o.Gid));
    }

    public static bool IsRoot => OperatingSystem.IsLinux() && geteuid() == 0;

    public static void SetOwner(string path, int uid, int gid)
    {
        if (!OperatingSystem.IsLinux() || uid < 0 || gid < 0) return;
        lchown(path, uid, gid);
    }

    [DllImport("libc", SetLastError = true)] private static extern int lstat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buf);
    [DllImport("libc", SetLastError = true)] private static extern int lchown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int uid, int gid);
    [DllImport("libc")] private static extern uint geteuid();
}
