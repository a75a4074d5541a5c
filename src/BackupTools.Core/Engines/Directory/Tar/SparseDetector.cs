using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>
/// Finds a file's data regions with lseek(SEEK_DATA/SEEK_HOLE) so holes are neither read nor stored.
/// Returns null for dense files, on platforms without these calls, or when the filesystem does not answer.
/// </summary>
internal static class SparseDetector
{
    private const int SeekData = 3;
    private const int SeekHole = 4;

    public static List<SparseRegion>? DataRegions(SafeFileHandle handle, long size)
    {
        if (!OperatingSystem.IsLinux() || size == 0) return null;
        var fd = (int)handle.DangerousGetHandle();
        try
        {
            var firstHole = lseek(fd, 0, SeekHole);
            if (firstHole < 0 || firstHole >= size) return null; // no holes before EOF: dense
            var regions = new List<SparseRegion>();
            long offset = 0;
            while (offset < size)
            {
                var data = lseek(fd, offset, SeekData);
                if (data < 0) break; // ENXIO: only a hole remains up to EOF
                if (data >= size) break;
                var hole = lseek(fd, data, SeekHole);
                if (hole < 0 || hole > size) hole = size;
                regions.Add(new SparseRegion(data, hole - data));
                offset = hole;
            }
            return regions;
        }
        finally
        {
            lseek(fd, 0, 0);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern long lseek(int fd, long offset, int whence);
}
