using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BackupTools.Core.Operations;

/// <summary>
/// Names what a process leaves behind while it works (temp parts, staging databases, passfiles) with a
/// host tag and its pid, so a later run can tell the leftovers of a dead process from the work of a live one.
/// </summary>
public static class OwnerProcess
{
    /// <summary>6 hex digits of SHA-256 over the host name and machine id: short enough for a database name.</summary>
    public static string HostTag { get; } = ComputeHostTag();

    public static int Pid => Environment.ProcessId;

    /// <summary>"&lt;hosttag&gt;-&lt;pid&gt;", how this process signs what it creates.</summary>
    public static string Tag => $"{HostTag}-{Pid}";

    /// <summary>True only when the owner is known to be gone: it ran on this host and its process no longer exists.</summary>
    public static bool IsDeadHere(string hostTag, int pid) =>
        hostTag == HostTag && pid != Pid && !IsAlive(pid);

    public static bool IsAlive(int pid)
    {
        if (pid <= 0) return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Whether a host tag and pid as written in a name (see <see cref="Tag"/>) are those of a dead process on this host.</summary>
    public static bool IsDeadHere(string hostTag, string pidText) =>
        int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 && IsDeadHere(hostTag, pid);

    private static string ComputeHostTag()
    {
        // The machine id tells apart hosts that share a name (cloned VMs, containers named "localhost").
        var machineId = "";
        try { if (File.Exists("/etc/machine-id")) machineId = File.ReadAllText("/etc/machine-id").Trim(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Environment.MachineName + "\n" + machineId));
        return Convert.ToHexString(hash, 0, 3).ToLowerInvariant();
    }
}
