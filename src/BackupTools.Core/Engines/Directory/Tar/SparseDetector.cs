using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>
/// Finds a file's data regions with lseek(SEEK_DATA/SEEK_HOLE) so holes are neither read nor stored.
/// Returns null for dense files, on platforms without these calls (non-Linux, 32-bit off_t), or when the
/// filesystem does not answer; the caller then stores the file densely, which is always correct.
/// </summary>
internal static class SparseDetector
{
    private const int SeekData = 3;
    private const int SeekHole = 4;
    private static bool _unavailable = !OperatingSystem.IsLinux() || IntPtr.Size != 8;

    public static List<SparseRegion>? DataRegions(SafeFileHandle handle, long size)
    {
        if (_unavailable || size == 0) return null;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            var firstHole = lseek(fd, 0, SeekHole);
            if (firstHole < 0 || firstHole >= size) return null; // no hole before EOF (or no answer): dense
            var regions = new List<SparseRegion>();
            long offset = 0;
            while (offset < size)
            {
                var data = lseek(fd, offset, SeekData);
                if (data < 0 || data >= size) break; // ENXIO: only a hole remains up to EOF
                var hole = lseek(fd, data, SeekHole);
                if (hole < 0 || hole > size) hole = size;
                if (hole <= data) return null; // inconsistent answer: don't trust it
                regions.Add(new SparseRegion(data, hole - data));
                offset = hole;
            }
            return regions;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            return null;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern long lseek(int fd, long offset, int whence);
}
