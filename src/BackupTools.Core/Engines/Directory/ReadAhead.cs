using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// Asks the kernel to start reading the next files while the current one is archived
/// (posix_fadvise WILLNEED), so a cold-cache backup keeps the disk busy instead of waiting per file.
/// Best effort: does nothing where the call is missing or fails.
/// </summary>
internal sealed class ReadAhead(IReadOnlyList<string> files, long windowBytes = 64L * 1024 * 1024, IReadOnlyList<long>? sizes = null)
{
    private const int WillNeed = 3;
    private int _next;
    private long _aheadBytes;
    private static bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>Called when file <paramref name="index"/> starts: keeps about windowBytes of later files requested.</summary>
    public void Advance(int index, long currentSize)
    {
        if (_unavailable) return;
        _aheadBytes = Math.Max(0, _aheadBytes - currentSize);
        if (_next <= index) _next = index + 1;
        while (_next < files.Count && _aheadBytes < windowBytes)
        {
            var size = sizes?[_next] ?? 0;
            Request(files[_next]);
            _aheadBytes += size;
            _next++;
        }
    }

    private static void Request(string path)
    {
        try
        {
            using SafeFileHandle handle = BackupTools.Core.Posix.PosixFiles.OpenRead(path);
            posix_fadvise((int)handle.DangerousGetHandle(), 0, 0, WillNeed);
        }
        catch (EntryPointNotFoundException) { _unavailable = true; }
        catch (DllNotFoundException) { _unavailable = true; }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_fadvise(int fd, long offset, long len, int advice);
}
