using System.Diagnostics;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Faults;

/// <summary>
/// Issue 14 item 3: a repository on a disk that fills up. The failed backup must leave no temp part, and the
/// next writer must get a clear error within its -LockTimeoutSec instead of spinning on the lease.
/// </summary>
[Collection("lease-duration")]
public sealed class FullDiskFaultTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private SmallTmpfs? _disk;

    private string Repo => Path.Combine(_disk!.Path, "repo");
    private string KeyPath => _temp.Sub("key.json");
    private string TmpParts => Path.Combine(Repo, "tmp");

    private PsResult Run(string script, string cell) => _ps.Run(script, new Dictionary<string, object?> { ["repo"] = Repo, ["key"] = KeyPath, ["cell"] = cell });

    private void CreateRandomCell(string path, int megabytes)
    {
        Directory.CreateDirectory(path);
        var random = new Random(14);
        var buffer = new byte[1 << 20];
        for (var i = 0; i < megabytes; i++)
        {
            random.NextBytes(buffer);
            using var file = File.Create(Path.Combine(path, $"chunk-{i:D3}.bin"));
            file.Write(buffer);
        }
    }

    private (int Code, string Out, string Err, TimeSpan Took) Bt(string command)
    {
        var clock = Stopwatch.StartNew();
        using var child = new BtProcess(command);
        var outcome = child.Wait(TimeSpan.FromSeconds(90));
        Assert.True(outcome is not null, $"'{command}' did not return within 90 s (killed)");
        return (outcome.Value.Code, outcome.Value.Out, outcome.Value.Err, clock.Elapsed);
    }

    [TmpfsFact]
    public void A_backup_that_fills_the_disk_fails_clearly_leaves_no_part_and_the_next_writer_returns_promptly()
    {
        _disk = new SmallTmpfs(_temp.Sub("disk"), 50);
        _ps.Run($"Initialize-BackupRepository -Format v1 -Path '{Repo}' | Out-Null; New-BackupKey -Path '{KeyPath}' | Out-Null").AssertNoErrors();
        var big = _temp.Sub("big");
        CreateRandomCell(big, 80);

        var failed = Run("Backup-Cell crm $cell -Repository $repo -KeyFile $key", big);
        var error = Assert.Single(failed.Errors);
        Assert.Contains("No space left on device", error.Exception.ToString());
        Assert.True(!Directory.Exists(TmpParts) || Directory.GetFiles(TmpParts).Length == 0,
            "left behind: " + string.Join(", ", Directory.GetFiles(TmpParts).Select(f => $"{Path.GetFileName(f)} ({new FileInfo(f).Length} bytes)")));
        Assert.False(Leases.AnyIn(Repo));

        // With the space given back, a small backup goes through at once.
        var small = _temp.Sub("small");
        SampleTree.Create(small);
        var next = Bt($"Backup-Cell crm '{small}' -Repository '{Repo}' -KeyFile '{KeyPath}' -LockTimeoutSec 5");
        Assert.True(next.Code == 0, next.Err);
        Assert.True(next.Took < TimeSpan.FromSeconds(60), $"took {next.Took}");
    }

    [TmpfsFact]
    public void On_a_full_disk_the_lease_cannot_be_created_and_the_writer_says_so_within_its_timeout()
    {
        _disk = new SmallTmpfs(_temp.Sub("disk"), 20);
        _ps.Run($"Initialize-BackupRepository -Format v1 -Path '{Repo}' | Out-Null; New-BackupKey -Path '{KeyPath}' | Out-Null").AssertNoErrors();
        var small = _temp.Sub("small");
        SampleTree.Create(small);
        FillUp(Path.Combine(_disk.Path, "filler"));

        var outcome = Bt($"Backup-Cell crm '{small}' -Repository '{Repo}' -KeyFile '{KeyPath}' -LockTimeoutSec 5");
        Assert.NotEqual(0, outcome.Code);
        Assert.Contains("RepositoryLockFailed", outcome.Err);
        Assert.Contains("No space left on device", outcome.Err);
        Assert.True(outcome.Took < TimeSpan.FromSeconds(60), $"took {outcome.Took}");
        Assert.False(Leases.AnyIn(Repo), "an empty lease was left");
    }

    private static void FillUp(string path)
    {
        using var filler = File.Create(path);
        var buffer = new byte[1 << 16];
        try
        {
            while (true) { filler.Write(buffer); filler.Flush(); }
        }
        catch (IOException) { /* full */ }
    }

    public void Dispose()
    {
        _ps.Dispose();
        _disk?.Dispose();
        _temp.Dispose();
    }
}
