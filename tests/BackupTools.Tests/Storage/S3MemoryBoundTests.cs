using System.Diagnostics;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Storage;

/// <summary>
/// Peak memory of a real backup process (the bt runner) sending 240 MB to S3, compared with the same
/// process sending 1 MB: the difference must stay far below the data size (two 8 MB part buffers plus
/// pipeline buffers), so a 5 GB backup cannot need 5 GB of RAM.
/// </summary>
public sealed class S3MemoryBoundTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly S3TestBucket _bucket = new();

    private long PeakRssOfBackup(string cell, string prefix)
    {
        var repo = _bucket.Uri(prefix);
        var script = _temp.Sub(prefix + ".ps1");
        File.WriteAllText(script, "param($Repo, $Cell)\nInitialize-BackupRepository -Format v1 -Path $Repo -Compression none | Out-Null\n(Backup-Cell -Name big -Path $Cell -Repository $Repo).Id\n");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "bin", "runner", "btrun.dll"));
        foreach (var a in new[] { "-File", script, "-Repo", repo, "-Cell", cell }) psi.ArgumentList.Add(a);
        // Credentials through the environment, never argv.
        psi.Environment["AWS_ACCESS_KEY_ID"] = TestServers.S3.AccessKey;
        psi.Environment["AWS_SECRET_ACCESS_KEY"] = TestServers.S3.SecretKey;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        while (!process.WaitForExit(50))
            peak = Math.Max(peak, HighWaterMark(process.Id));
        Assert.True(process.ExitCode == 0, $"runner failed: {stderr.Result}");
        Assert.Matches(@"-big-directory-", stdout.Result);
        return peak;
    }

    /// <summary>VmHWM: the kernel's own peak resident set of the process, in bytes.</summary>
    private static long HighWaterMark(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:"));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException) { return 0; }
    }

    private string Cell(string name, long bytes)
    {
        var dir = _temp.Sub(name);
        Directory.CreateDirectory(dir);
        using var file = File.Create(Path.Combine(dir, "data.bin"));
        var random = new Random(9);
        var chunk = new byte[1 << 20];
        for (long done = 0; done < bytes; done += chunk.Length)
        {
            random.NextBytes(chunk);
            file.Write(chunk, 0, (int)Math.Min(chunk.Length, bytes - done));
        }
        return dir;
    }

    [Fact]
    public void A_240_MB_backup_to_s3_raises_peak_memory_by_far_less_than_its_size()
    {
        var small = PeakRssOfBackup(Cell("small", 1 << 20), "small");
        var large = PeakRssOfBackup(Cell("large", 240L << 20), "large");
        var growth = large - small;
        Assert.True(small > 0 && large > 0, "could not read VmHWM");
        Assert.True(growth < 96L << 20, $"peak RSS {large >> 20} MB for 240 MB vs {small >> 20} MB for 1 MB: +{growth >> 20} MB");
    }

    public void Dispose()
    {
        _bucket.Dispose();
        _temp.Dispose();
    }
}
