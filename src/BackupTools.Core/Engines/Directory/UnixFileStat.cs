using System.Runtime.InteropServices;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// lstat(2) (through <see cref="LinuxLstat"/>, which works on every glibc) for what .NET does not expose: the
/// file type (so FIFOs, sockets and devices are skipped rather than blocking a read) and the owner ids (so a
/// restore as root gives files back to their owners).
/// Linux only; elsewhere Unknown, and the caller falls back to .NET's view.
/// </summary>
internal static class UnixFileStat
{
    public enum FileType { Unknown, Regular, Directory, Symlink, Other }

    public readonly record struct Info(FileType Type, int Uid, int Gid);

    public static Info Get(string path)
    {
        if (LinuxLstat.Get(path) is not { } stat) return new Info(FileType.Unknown, -1, -1);
        var type = (stat.Mode & 0xF000) switch
        {
            0x8000 => FileType.Regular,
            0x4000 => FileType.Directory,
            0xA000 => FileType.Symlink,
            _ => FileType.Other,
        };
        return new Info(type, stat.Uid, stat.Gid);
    }

    public static bool IsRoot => OperatingSystem.IsLinux() && geteuid() == 0;

    public static void SetOwner(string path, int uid, int gid)
    {
        if (!OperatingSystem.IsLinux() || uid < 0 || gid < 0) return;
        lchown(path, uid, gid);
    }

    [DllImport("libc", SetLastError = true)] private static extern int lchown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int uid, int gid);
    [DllImport("libc")] private static extern uint geteuid();
}
