using System.Diagnostics;

namespace BackupTools.Tests.Infrastructure;

public static class DiskUsage
{
    /// <summary>Bytes actually allocated on disk (stat %b × 512).</summary>
    public static long AllocatedBytes(string path)
    {
        var psi = new ProcessStartInfo("stat", ["-c", "%b", path]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return long.Parse(text.Trim()) * 512;
    }
}
