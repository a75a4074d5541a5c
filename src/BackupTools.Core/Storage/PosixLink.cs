using System.Runtime.InteropServices;

namespace BackupTools.Core.Storage;

/// <summary>link(2): gives a complete file a second name only if that name is free — an atomic create-if-absent with content.</summary>
internal static class PosixLink
{
    public enum Outcome { Linked, Exists, Unsupported }

    private const int EPERM = 1, EEXIST = 17, EXDEV = 18, ENOSYS = 38, EOPNOTSUPP = 95;

    public static Outcome TryLink(string existing, string newName)
    {
        if (OperatingSystem.IsWindows()) return Outcome.Unsupported;
        if (link(existing, newName) == 0) return Outcome.Linked;
        var errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            EEXIST => Outcome.Exists,
            // Some network and FUSE file systems have no hard links: the caller falls back to O_EXCL.
            EPERM or EXDEV or ENOSYS or EOPNOTSUPP => Outcome.Unsupported,
            _ => throw new IOException($"Could not create '{newName}': {Marshal.GetPInvokeErrorMessage(errno)}", errno),
        };
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath);
}
