using System.Diagnostics;

namespace BackupTools.Tests.Faults;

/// <summary>A small tmpfs mounted for one test: a disk that really fills up (needs root, as in CI containers).</summary>
public sealed class SmallTmpfs : IDisposable
{
    public SmallTmpfs(string path, int megabytes)
    {
        Path = path;
        Directory.CreateDirectory(path);
        var (code, error) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m,mode=0700", "tmpfs", path);
        if (code != 0) throw new InvalidOperationException($"mount failed: {error}");
    }

    public string Path { get; }

    /// <summary>Null when this process may mount a tmpfs; else why not (the test is skipped with it).</summary>
    public static string? WhyNotMountable { get; } = Probe();

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "needs Linux (tmpfs)";
        var probe = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bt-tmpfs-probe-" + Environment.ProcessId);
        try
        {
            Directory.CreateDirectory(probe);
            var (code, error) = Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe);
            if (code != 0) return $"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {error.Trim()}";
            Run("umount", probe);
            return null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            return $"cannot mount a tmpfs here: {e.Message}";
        }
        finally
        {
            try { Directory.Delete(probe); } catch (IOException) { }
        }
    }

    private static (int Code, string Error) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, error);
    }

    public void Dispose() => Run("umount", "-l", Path);
}

/// <summary>A [Fact] skipped, with the reason, where a tmpfs cannot be mounted.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (SmallTmpfs.WhyNotMountable is { } reason) Skip = reason;
    }
}
