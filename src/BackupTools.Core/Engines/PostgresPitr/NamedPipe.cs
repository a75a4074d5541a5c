using System.Runtime.InteropServices;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>FIFOs (mkfifo(3)) a tool writes its output files into, so the bytes stream to us and never land on disk.</summary>
internal static class NamedPipe
{
    private const int EEXIST = 17, OWronly = 1, ONonblock = 0x800;

    /// <summary>Creates a FIFO (mode 0600); false when the name is already taken (by the tool's own regular file).</summary>
    public static bool TryCreate(string path)
    {
        if (mkfifo(path, Convert.ToUInt32("600", 8)) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == EEXIST) return false;
        throw new IOException($"Could not create the FIFO '{path}': {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }

    /// <summary>
    /// Releases a reader blocked in open(2) on a FIFO no writer will ever open (the tool failed or wrote fewer files):
    /// a non-blocking open for writing, closed at once, so the reader sees an empty stream.
    /// </summary>
    public static void ReleaseReader(string path)
    {
        var fd = open(path, OWronly | ONonblock);
        if (fd >= 0) close(fd);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
