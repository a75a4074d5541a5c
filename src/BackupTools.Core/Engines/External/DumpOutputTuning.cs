using System.Diagnostics;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using BackupTools.Core.Engines.Directory;

namespace BackupTools.Core.Engines.External;

/// <summary>
/// Makes a dump tool's stdout cheap to stream on Linux. pg_dump and mariadb-dump write through stdio, which
/// uses a 4 KiB buffer on a pipe: ~175k write(2) calls and reader wake-ups per 700 MB, about a second of
/// kernel time on the tool's own thread — the one that sets the pace of the whole backup (bench/README.md).
/// The tool gets a 1 MiB stdio buffer through coreutils' libstdbuf (what `stdbuf -o` does), and our end of
/// the pipe grows to 1 MiB so one of those writes never has to wait for us. Both are skipped quietly where
/// unavailable; BACKUPTOOLS_DUMP_STDBUF=0 turns the preload off.
/// </summary>
public static class DumpOutputTuning
{
    public const int BufferBytes = 1 << 20;
    private const int SetPipeSize = 1031; // F_SETPIPE_SZ

    private static readonly string[] StdbufLocations =
    [
        "/usr/libexec/coreutils/libstdbuf.so", // Debian, Ubuntu, Fedora, RHEL
        "/usr/lib/coreutils/libstdbuf.so",     // Arch, Alpine
        "/usr/lib64/coreutils/libstdbuf.so",
    ];

    private static readonly Lazy<string?> Stdbuf = new(FindStdbuf);

    /// <summary>The preload library in use, or null (not Linux, not installed, not trusted, or turned off).</summary>
    public static string? StdbufLibrary => Environment.GetEnvironmentVariable("BACKUPTOOLS_DUMP_STDBUF") == "0" ? null : Stdbuf.Value;

    public static void ApplyTo(ProcessStartInfo start)
    {
        if (StdbufLibrary is not { } library) return;
        var existing = start.Environment.TryGetValue("LD_PRELOAD", out var value) ? value : null;
        start.Environment["LD_PRELOAD"] = string.IsNullOrEmpty(existing) ? library : library + ":" + existing;
        start.Environment["_STDBUF_O"] = BufferBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Grows the kernel buffer of the pipe behind stdout; returns whether it took effect.</summary>
    public static bool EnlargePipe(Stream stdout)
    {
        if (!OperatingSystem.IsLinux() || stdout is not PipeStream pipe) return false;
        try { return fcntl((int)pipe.SafePipeHandle.DangerousGetHandle(), SetPipeSize, BufferBytes) >= BufferBytes; }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { return false; }
    }

    private static string? FindStdbuf()
    {
        if (!OperatingSystem.IsLinux()) return null;
        foreach (var path in StdbufLocations)
        {
            // Only a root-owned library nobody else can write to is preloaded into a tool that holds credentials.
            var stat = UnixFileStat.Get(path);
            if (stat.Type != UnixFileStat.FileType.Regular || stat.Uid != 0) continue;
            if ((File.GetUnixFileMode(path) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0) continue;
            return path;
        }
        return null;
    }

    [DllImport("libc", SetLastError = true)] private static extern int fcntl(int fd, int command, int argument);
}
