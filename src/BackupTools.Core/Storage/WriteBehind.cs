using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BackupTools.Core.Storage;

/// <summary>
/// Starts the kernel's writeback of a file being written every few MiB (Linux sync_file_range, asynchronous),
/// so the fsync before the rename finds little left to flush: a 400 MB object otherwise waits ~0.1–0.2 s for
/// its dirty pages at the end of a backup, with the disk idle while it was written. Durability still comes
/// from that fsync; this only moves the disk work earlier. Best effort: any error just stops it.
/// </summary>
internal sealed class WriteBehind(SafeFileHandle file)
{
    internal const long Step = 8 << 20;
    private const uint SyncFileRangeWrite = 2;
    private long _started;
    private bool _off = !OperatingSystem.IsLinux();

    /// <summary>Ranges handed to writeback so far (tests check the call works on this system).</summary>
    public int RangesStarted { get; private set; }

    /// <summary>Called with the file's length after a write; starts writeback of the bytes not yet started.</summary>
    public void Advance(long written)
    {
        if (_off || written - _started < Step) return;
        if (sync_file_range(file, _started, written - _started, SyncFileRangeWrite) != 0) { _off = true; return; }
        _started = written;
        RangesStarted++;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int sync_file_range(SafeFileHandle fd, long offset, long nbytes, uint flags);
}
