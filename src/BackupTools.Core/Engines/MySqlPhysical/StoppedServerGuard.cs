using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.MySqlPhysical;

/// <summary>
/// A data directory may be replaced only when no server runs on it: no pid file in it naming a live process, and (Linux)
/// no process whose working directory it is — mariadbd changes into its data directory, whatever its pid-file says.
/// </summary>
public static class StoppedServerGuard
{
    public static void Check(string dataDir)
    {
        if (!System.IO.Directory.Exists(dataDir)) return;
        foreach (var pidFile in System.IO.Directory.EnumerateFiles(dataDir, "*.pid"))
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && System.IO.Directory.Exists($"/proc/{pid}"))
                throw Running(dataDir, $"{Path.GetFileName(pidFile)} names live process {pid}");
        if (!OperatingSystem.IsLinux()) return;
        var full = Path.GetFullPath(dataDir).TrimEnd('/');
        foreach (var process in System.IO.Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            string? cwd;
            try { cwd = new DirectoryInfo(Path.Combine(process, "cwd")).LinkTarget; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (cwd != null && cwd.TrimEnd('/') == full)
                throw Running(dataDir, $"process {Path.GetFileName(process)} ({Comm(process)}) works in it");
        }
    }

    private static string Comm(string process)
    {
        try { return File.ReadAllText(Path.Combine(process, "comm")).Trim(); }
        catch (IOException) { return "?"; }
    }

    private static BackupInputException Running(string dataDir, string why) =>
        new("MySqlServerRunning", "DataDirectory", $"a server is running on '{dataDir}' ({why}); nothing was changed.",
            "Stop it first (systemctl stop mariadb, or mariadb-admin shutdown), then restore.");
}
