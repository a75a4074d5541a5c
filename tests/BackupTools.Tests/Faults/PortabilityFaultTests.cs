using System.Diagnostics;
using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Operations;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Faults;

[CollectionDefinition("lstat-method", DisableParallelization = true)]
public sealed class LstatMethodCollection;

/// <summary>
/// Issue 14 item 8: libc exports <c>lstat</c> only since glibc 2.33, so on RHEL 8 / Ubuntu 20.04 / Debian 11 every
/// Backup-Cell threw EntryPointNotFoundException. LinuxLstat falls back to <c>__lxstat</c>, then <c>statx</c>;
/// each must see what coreutils' stat sees. (Static switches: this class runs alone.)
/// </summary>
[Collection("lstat-method")]
public sealed class PortabilityFaultTests : IDisposable
{
    private readonly TempDir _temp = new();

    private Dictionary<string, string> Samples()
    {
        var dir = _temp.Sub("kinds");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "file.txt");
        File.WriteAllText(file, "x");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead | UnixFileMode.SetGroup);
        File.CreateSymbolicLink(Path.Combine(dir, "link"), file);
        var dangling = _temp.Sub("dangling"); // outside the scanned tree: dangling links in cells are issue 14 item 7
        File.CreateSymbolicLink(dangling, Path.Combine(dir, "missing"));
        Tool("mkfifo", Path.Combine(dir, "fifo"));
        return new Dictionary<string, string>
        {
            ["file"] = file, ["dir"] = dir, ["link"] = Path.Combine(dir, "link"),
            ["dangling"] = dangling, ["fifo"] = Path.Combine(dir, "fifo"), ["proc1"] = "/proc/1",
        };
    }

    /// <summary>coreutils' view (it does not follow symlinks): raw mode, uid, gid, size, mtime (seconds and nanoseconds).</summary>
    private static LinuxLstat.Result Coreutils(string path)
    {
        var fields = Tool("stat", "-c", "%f %u %g %s %.9Y", path).Split(' ');
        var mtime = fields[4].Split('.');
        return new LinuxLstat.Result(Convert.ToUInt32(fields[0], 16), int.Parse(fields[1]), int.Parse(fields[2]), long.Parse(fields[3]),
            long.Parse(mtime[0]), long.Parse(mtime[1]));
    }

    private static string Tool(string name, params string[] args)
    {
        var start = new ProcessStartInfo(name) { RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }

    [Theory]
    [InlineData("Lstat")]
    [InlineData("Lxstat")]
    [InlineData("Statx")]
    public void Every_method_sees_what_coreutils_stat_sees(string methodName)
    {
        var method = Enum.Parse<LinuxLstat.Method>(methodName);
        var samples = Samples();
        LinuxLstat.Forced = method;
        try
        {
            foreach (var (kind, path) in samples)
                Assert.True(Coreutils(path) == LinuxLstat.Get(path), $"{method} on {kind}: {LinuxLstat.Get(path)} vs stat's {Coreutils(path)}");
            Assert.Null(LinuxLstat.Get(_temp.Sub("no-such-file")));
            Assert.Equal(2, LinuxLstat.Get(System.Text.Encoding.UTF8.GetBytes(_temp.Sub("no-such-file") + "\0"))!.Value.Errno); // ENOENT
        }
        finally
        {
            LinuxLstat.Forced = null;
        }
    }

    [Theory]
    [InlineData("Lxstat", "Lstat")]          // glibc 2.28–2.32
    [InlineData("Statx", "Lstat", "Lxstat")] // neither exported
    public void A_cell_scan_falls_back_when_the_C_library_lacks_lstat(string expectedName, params string[] missing)
    {
        var expected = Enum.Parse<LinuxLstat.Method>(expectedName);
        var samples = Samples();
        LinuxLstat.SimulatedMissing = missing.Select(Enum.Parse<LinuxLstat.Method>).ToHashSet();
        LinuxLstat.ResetResolution();
        try
        {
            var warnings = new List<string>();
            var entries = TreeScanner.Scan(_temp.Sub("kinds"), new CollectingObserver(warnings)).ToList();
            Assert.Equal(expected, LinuxLstat.Current);
            Assert.Equal(["", "file.txt", "link"], entries.Select(e => e.Path));
            Assert.Equal(CellEntryKind.Symlink, entries.Single(e => e.Path == "link").Kind);
            Assert.Contains(warnings, w => w.Contains("fifo")); // the type came from the fallback: a FIFO is skipped, not read
            var owner = Coreutils(samples["file"]);
            Assert.Equal((owner.Uid, owner.Gid), entries.Where(e => e.Path == "file.txt").Select(e => (e.Uid, e.Gid)).Single());
        }
        finally
        {
            LinuxLstat.SimulatedMissing = new HashSet<LinuxLstat.Method>();
            LinuxLstat.ResetResolution();
        }
    }

    private sealed class CollectingObserver(List<string> warnings) : IOperationObserver
    {
        public void Warning(string message) => warnings.Add(message);
        public void Verbose(string message) { }
        public void Progress(string activity, string status, long bytesDone, long? bytesTotal) { }
    }

    public void Dispose() => _temp.Dispose();
}
