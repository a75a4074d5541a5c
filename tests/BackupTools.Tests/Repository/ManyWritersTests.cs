using System.Diagnostics;
using BackupTools.Core.Repository;
using BackupTools.Tests.Faults;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;
using BackupTools.Tests.Storage;

namespace BackupTools.Tests.Repository;

/// <summary>Shared writer leases: several backup processes into one repository at once, deletion waiting for them, sweeps sparing live writers.</summary>
public sealed class ManyWritersTests : IDisposable
{
    private const int Writers = 4;
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private S3TestBucket? _bucket;

    private string Key => _temp.Sub("key.json");
    private string CellPath(int i) => _temp.Sub($"cells/cell{i}");

    private PsResult Run(string script, string repo, params (string, object?)[] extra)
    {
        var vars = new Dictionary<string, object?> { ["repo"] = repo, ["key"] = Key, ["cred"] = _bucket is null ? null : S3Credential() };
        foreach (var (name, value) in extra) vars[name] = value;
        return _ps.Run(script, vars);
    }

    private static System.Management.Automation.PSCredential S3Credential() =>
        new(TestServers.S3.AccessKey, new System.Net.NetworkCredential("", TestServers.S3.SecretKey).SecurePassword);

    private string Credential => _bucket is null ? "" : " -StorageCredential $cred";

    /// <summary>A cell of incompressible data, big enough that gzip -9 keeps its backup busy for a while.</summary>
    private void CreateCell(int i, int megabytes)
    {
        Directory.CreateDirectory(CellPath(i));
        var random = new Random(i);
        var buffer = new byte[1 << 20];
        for (var m = 0; m < megabytes; m++)
        {
            random.NextBytes(buffer);
            File.WriteAllBytes(Path.Combine(CellPath(i), $"part-{m:D3}.bin"), buffer);
        }
    }

    private string NewRepository(bool s3)
    {
        string repo;
        if (s3)
        {
            _bucket = new S3TestBucket();
            repo = _bucket.Uri("fleet");
        }
        else repo = _temp.Sub("repo");
        Run($"Initialize-BackupRepository -Format v1 -Path $repo{Credential} | Out-Null; New-BackupKey -Path $key | Out-Null", repo).AssertNoErrors();
        return repo;
    }

    private BtProcess StartBackup(string repo, int i) =>
        new($"Backup-Cell -Name cell{i} -Path '{CellPath(i)}' -Repository '{repo}' -KeyFile '{Key}' -Compression gzip -CompressionLevel 9 -LockTimeoutSec 0 | Out-Null",
            _bucket is null ? null : new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = TestServers.S3.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = TestServers.S3.SecretKey });

    private List<string> SharedLeases(string repo) => _bucket is null
        ? (Directory.Exists(Path.Combine(repo, WriterLock.SharedPrefix)) ? Directory.GetFiles(Path.Combine(repo, WriterLock.SharedPrefix)).ToList() : [])
        : _bucket.AllKeys().Where(k => k.Contains("/" + WriterLock.SharedPrefix, StringComparison.Ordinal)).ToList();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Four_backup_processes_of_different_cells_write_at_once_and_every_backup_verifies(bool s3)
    {
        var repo = NewRepository(s3);
        for (var i = 0; i < Writers; i++) CreateCell(i, 12);
        var children = Enumerable.Range(0, Writers).Select(i => StartBackup(repo, i)).ToList();
        var mostAtOnce = 0;
        while (children.Any(c => !c.HasExited))
        {
            mostAtOnce = Math.Max(mostAtOnce, SharedLeases(repo).Count);
            Thread.Sleep(50);
        }
        foreach (var child in children)
        {
            var (code, _, err) = child.Wait(TimeSpan.FromMinutes(5)) ?? throw new TimeoutException("a backup process hung");
            Assert.True(code == 0, $"a backup process failed: {err}");
            child.Dispose();
        }
        Assert.True(mostAtOnce >= 2, $"the backups never overlapped (at most {mostAtOnce} lease(s) at once): the test proves nothing");
        var checks = Run($"Get-Backup -Repository $repo{Credential} | Test-BackupIntegrity -KeyFile $key{Credential}", repo).AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(Writers, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed, c.FailedCheck));
        Assert.Equal(Enumerable.Range(0, Writers).Select(i => $"cell{i}"), checks.Select(c => c.Record!.Cell).Order());
        Assert.Empty(SharedLeases(repo));
    }

    [Fact]
    public void Removal_started_during_a_backup_waits_for_it_and_leaves_its_objects_alone()
    {
        var repo = NewRepository(s3: false);
        CreateCell(0, 2);
        CreateCell(1, 40);
        var old = Run("Backup-Cell -Name cell0 -Path $cell -Repository $repo -KeyFile $key", repo, ("cell", CellPath(0))).AssertNoErrors().Single<BackupRecord>();
        using var running = StartBackup(repo, 1);
        var clock = Stopwatch.StartNew();
        while (SharedLeases(repo).Count == 0 && !running.HasExited && clock.Elapsed < TimeSpan.FromSeconds(90)) Thread.Sleep(50);
        Assert.False(running.HasExited, "the backup ended before the removal could start: make its cell bigger");

        Run("Remove-Backup -Id $id -Repository $repo -LockTimeoutSec 0 -Confirm:$false", repo, ("id", old.Id)).AssertError("RepositoryLocked");
        var removal = Run("Remove-Backup -Id $id -Repository $repo -LockTimeoutSec 300 -Confirm:$false", repo, ("id", old.Id));
        // The backup releases its lease right after its manifest; its process may exit a moment later (a loaded host).
        Assert.True(Run("Get-Backup -Repository $repo -Cell cell1", repo).AssertNoErrors().Objects<BackupRecord>().Any(), "the removal did not wait for the live backup");
        removal.AssertNoErrors();
        Assert.Equal(0, running.Wait(TimeSpan.FromSeconds(10))!.Value.Code);
        var left = Run("Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $key", repo).AssertNoErrors().Objects<IntegrityResult>().ToList();
        var only = Assert.Single(left);
        Assert.True(only.Passed, only.FailedCheck);
        Assert.Equal("cell1", only.Record!.Cell);
    }

    /// <summary>A child process holding a shared lease that claims a backup id, as a writer between its first object and its manifest.</summary>
    private BtProcess StartClaimingWriter(string repo, string backupId) =>
        new(BtProcess.CoreTypeFunction +
            $"$r = (CoreType BackupTools.Core.Repository.BackupRepository)::Open((CoreType BackupTools.Core.Storage.LocalBackupStore)::new('{repo}')); " +
            "$l = (CoreType BackupTools.Core.Repository.WriterLock)::AcquireShared($r, 'writer', [TimeSpan]::FromSeconds(30), [Threading.CancellationToken]::None); " +
            $"$l.Claim([string[]]@('{backupId}')); 'claimed'; Start-Sleep 120");

    private void WaitForClaim(string repo, string backupId, BtProcess writer)
    {
        var clock = Stopwatch.StartNew();
        bool Claimed() => SharedLeases(repo).Any(f => { try { return File.ReadAllText(f).Contains(backupId, StringComparison.Ordinal); } catch (IOException) { return false; } });
        while (!Claimed() && !writer.HasExited && clock.Elapsed < TimeSpan.FromSeconds(90)) Thread.Sleep(50);
        Assert.True(Claimed(), "the writer process never claimed its backup: " + (writer.HasExited ? writer.Wait(TimeSpan.Zero)?.Err : ""));
    }

    /// <summary>What a writer stored before its manifest: a committed object in the backup's folder.</summary>
    private static string PlaceInFlightObject(string repo, string backupId)
    {
        var folder = Path.Combine(repo, "backups", backupId);
        Directory.CreateDirectory(folder);
        var data = Path.Combine(folder, "data");
        File.WriteAllBytes(data, new byte[4096]);
        return data;
    }

    [Fact]
    public void A_sweep_spares_a_live_writers_objects_and_removes_a_killed_writers_once_its_lease_is_stale()
    {
        var repo = NewRepository(s3: false);
        CreateCell(0, 1);
        var liveId = BackupId.New(DateTimeOffset.UtcNow, "live", "cell");
        var killedId = BackupId.New(DateTimeOffset.UtcNow, "killed", "cell");
        using var live = StartClaimingWriter(repo, liveId);
        using var killed = StartClaimingWriter(repo, killedId);
        WaitForClaim(repo, liveId, live);
        WaitForClaim(repo, killedId, killed);
        var liveObject = PlaceInFlightObject(repo, liveId);
        var killedObject = PlaceInFlightObject(repo, killedId);

        Run("Backup-Cell -Name cell0 -Path $cell -Repository $repo -KeyFile $key", repo, ("cell", CellPath(0))).AssertNoErrors();
        Assert.True(File.Exists(killedObject), "a live writer's claimed backup was swept while it still held its lease");
        Assert.True(File.Exists(liveObject), "a live writer's claimed backup was swept while it still held its lease");

        killed.Kill(); // same host, dead pid: its lease is stale at once
        Run("Backup-Cell -Name cell0 -Path $cell -Repository $repo -KeyFile $key", repo, ("cell", CellPath(0))).AssertNoErrors();
        Assert.False(File.Exists(killedObject), "the killed writer's leftovers were not swept");
        Assert.True(File.Exists(liveObject), "the live writer's in-flight object did not survive another writer's sweep");

        live.Kill();
        Run("Backup-Cell -Name cell0 -Path $cell -Repository $repo -KeyFile $key", repo, ("cell", CellPath(0))).AssertNoErrors();
        Assert.False(File.Exists(liveObject));
        Assert.Equal(3, Run("Get-Backup -Repository $repo", repo).AssertNoErrors().Objects<BackupRecord>().Count());
    }

    public void Dispose()
    {
        _ps.Dispose();
        _bucket?.Dispose();
        _temp.Dispose();
    }
}
