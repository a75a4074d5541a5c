using System.Runtime.InteropServices;
using System.Text;
using BackupTools.Core.Operations;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Engines.External;

/// <summary>
/// A 0600 temp file for a secret a tool must read (a passfile, a defaults file), deleted on Dispose. It lives in
/// a folder of this process's own, made with mkdtemp (so no other user can have prepared it) in memory-backed
/// storage where there is one — $XDG_RUNTIME_DIR, else /dev/shm — so a crash never leaves a password on a
/// persistent disk; otherwise in the temp folder. The folder is named after this host and pid: the next process
/// to need one removes the folders of processes that are gone (see <see cref="SecretFolders"/>).
/// </summary>
public sealed class PrivateTempFile : IDisposable
{
    public PrivateTempFile(string content, string suffix = ".tmp")
    {
        FilePath = System.IO.Path.Combine(SecretFolders.ForThisProcess(), Guid.NewGuid().ToString("N") + suffix);
        using var stream = PrivateFileSystem.CreateFile(FilePath, FileMode.CreateNew);
        stream.Write(Encoding.UTF8.GetBytes(content));
    }

    public string FilePath { get; }

    public void Dispose()
    {
        try { File.Delete(FilePath); } catch (IOException) { }
    }
}

/// <summary>Where <see cref="PrivateTempFile"/>s go, and the sweep of those crashed processes left.</summary>
public static class SecretFolders
{
    private static readonly object Gate = new();
    private static string? _folder;

    /// <summary>"backuptools-&lt;user&gt;-": every folder of this user starts so; then host tag, pid and mkdtemp's six characters.</summary>
    private static string Prefix => $"backuptools-{Environment.UserName}-";

    /// <summary>Memory-backed first: $XDG_RUNTIME_DIR (the user's own), /dev/shm; the temp folder where neither exists.</summary>
    public static string Base => Candidates().First();

    private static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime && System.IO.Directory.Exists(runtime)) yield return runtime;
        if (OperatingSystem.IsLinux() && System.IO.Directory.Exists("/dev/shm")) yield return "/dev/shm";
        yield return System.IO.Path.GetTempPath();
    }

    /// <summary>This process's folder, created on first use (again if something removed it). Each call first sweeps what dead processes left: a few entries to list.</summary>
    public static string ForThisProcess()
    {
        lock (Gate)
        {
            // All candidates: a cron job (no $XDG_RUNTIME_DIR) and a login session pick different ones.
            foreach (var candidate in Candidates()) SweepDeadProcesses(candidate);
            if (_folder != null && System.IO.Directory.Exists(_folder)) return _folder;
            var parent = Base;
            SweepLegacy();
            var created = _folder = MakeFolder(parent);
            // A normal exit leaves nothing (the files went on Dispose); only a crash leaves the folder for the sweep.
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try { System.IO.Directory.Delete(created); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            };
            return created;
        }
    }

    /// <summary>Removes the folders of this user's processes that are gone from this host (a crash skipped their Dispose).</summary>
    public static void SweepDeadProcesses(string parent)
    {
        if (!System.IO.Directory.Exists(parent)) return;
        try
        {
            foreach (var folder in System.IO.Directory.EnumerateDirectories(parent, Prefix + "*"))
            {
                var parts = System.IO.Path.GetFileName(folder)[Prefix.Length..].Split('-');
                if (parts.Length != 3 || !OwnerProcess.IsDeadHere(parts[0], parts[1])) continue;
                if (new DirectoryInfo(folder).LinkTarget != null) continue;
                try { System.IO.Directory.Delete(folder, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort */ }
    }

    /// <summary>Before 14: one shared folder in the temp path whose files carry no owner; a day is far longer than any tool reads one.</summary>
    private static void SweepLegacy()
    {
        var legacy = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "backuptools-" + Environment.UserName);
        if (!System.IO.Directory.Exists(legacy) || new DirectoryInfo(legacy).LinkTarget != null) return;
        try
        {
            foreach (var file in System.IO.Directory.EnumerateFiles(legacy).Where(f => f.EndsWith(".pgpass", StringComparison.Ordinal) || f.EndsWith(".cnf", StringComparison.Ordinal)))
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > TimeSpan.FromDays(1)) File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort */ }
    }

    private static string MakeFolder(string parent)
    {
        var template = System.IO.Path.Combine(parent, $"{Prefix}{OwnerProcess.Tag}-XXXXXX");
        if (OperatingSystem.IsWindows())
        {
            var path = template.Replace("XXXXXX", Guid.NewGuid().ToString("N")[..6]);
            System.IO.Directory.CreateDirectory(path);
            return path;
        }
        var buffer = Encoding.UTF8.GetBytes(template + "\0");
        if (mkdtemp(buffer) == IntPtr.Zero)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"Could not create a private folder in {parent}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
        return Encoding.UTF8.GetString(buffer, 0, buffer.Length - 1); // mkdtemp made it 0700 and filled in the X's
    }

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr mkdtemp(byte[] template);
}
