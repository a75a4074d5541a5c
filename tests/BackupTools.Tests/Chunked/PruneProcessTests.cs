using System.Diagnostics;
using System.Management.Automation;
using System.Net;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Repository.Chunked;
using BackupTools.Core.Storage;
using BackupTools.Core.Verification;
using BackupTools.Tests.Faults;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;
using BackupTools.Tests.Storage;

namespace BackupTools.Tests.Chunked;

/// <summary>Optimize-BackupRepository as real processes: SIGKILLed at each step and rerun, running against a live backup, on S3.</summary>
public sealed class PruneProcessTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly BackupKeyRing _keys = new();
    private S3TestBucket? _bucket;

    private string KeyPath => _temp.Sub("key.json");

    public PruneProcessTests()
    {
        var key = BackupKey.Generate();
        BackupKeyFile.Write(KeyPath, key);
        _keys.Add(key);
    }

    public void Dispose()
    {
        _ps.Dispose();
        _bucket?.Dispose();
        _temp.Dispose();
    }

    private Dictionary<string, string> S3Environment() => _bucket is null ? new() : new()
    {
        ["AWS_ACCESS_KEY_ID"] = TestServers.S3.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = TestServers.S3.SecretKey,
    };

    /// <summary>A prune process that stops at <paramref name="point"/>; returns once it is there (it is still alive).</summary>
    private BtProcess StartPausedPrune(string repo, string point)
    {
        var marker = _temp.Sub($"paused-{Guid.NewGuid():N}");
        var environment = S3Environment();
        environment[FaultPoint.Variable] = point;
        environment[FaultPoint.MarkerVariable] = marker;
        var prune = new BtProcess($"Optimize-BackupRepository -Repository '{repo}' -KeyFile '{KeyPath}' -LockTimeoutSec 60 -Confirm:$false | Out-Null", environment);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(marker) && !prune.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(50);
        Assert.True(File.Exists(marker), $"the prune never reached {point}: {(prune.HasExited ? prune.Wait(TimeSpan.Zero)?.Err : "timed out")}");
        Assert.False(prune.HasExited);
        return prune;
    }

    private PruneResult PruneInProcess(BackupRepository repository) =>
        new RepositoryPruner(repository, NullObserver.Instance).Prune(_keys, 50, TimeSpan.FromSeconds(60), (_, _) => true, CancellationToken.None);

    [Theory]
    [InlineData("prune:after-plan")]
    [InlineData("prune:after-packs")]
    [InlineData("prune:after-index")]
    [InlineData("prune:mid-index-deletes")]
    [InlineData("prune:mid-pack-deletes")]
    public void A_prune_killed_at_any_step_loses_nothing_and_a_rerun_ends_where_an_uninterrupted_prune_ends(string point)
    {
        var crashed = new PruneFixture(_temp.Sub("crashed"), _keys).Build();
        CopyTree(crashed.Root, _temp.Sub("reference"));
        var reference = new PruneFixture(_temp.Sub("reference"), _keys);

        using (var prune = StartPausedPrune(crashed.Root, point)) prune.Kill();
        crashed.AssertKeptBackupsRestore();
        var between = new RepositoryChecker(crashed.Open(), NullObserver.Instance).Check(_keys, null, CancellationToken.None);
        Assert.True(between.Passed, $"after a kill at {point} the repository is inconsistent: {string.Join("; ", between.Checks)}");

        var rerun = new BtProcess($"Optimize-BackupRepository -Repository '{crashed.Root}' -KeyFile '{KeyPath}' -LockTimeoutSec 60 -Confirm:$false | Out-Null").Wait(TimeSpan.FromMinutes(3));
        Assert.True(rerun is { Code: 0 }, $"the rerun failed: {rerun?.Err}");
        using (var repository = reference.Open()) PruneInProcess(repository);

        using (var after = crashed.Open())
        using (var expected = reference.Open())
            PackLayout.Of(after, _keys).AssertSameAs(PackLayout.Of(expected, _keys));
        crashed.AssertKeptBackupsRestore();
        Assert.False(File.Exists(Path.Combine(crashed.Root, WriterLock.LockKey)), "the rerun left the exclusive lease behind");
        var final = new RepositoryChecker(crashed.Open(), NullObserver.Instance).Check(_keys, PackSubset.All, CancellationToken.None);
        Assert.True(final.Passed, string.Join("; ", final.Checks));
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private PsResult Run(string script, string repo, params (string, object?)[] extra)
    {
        var vars = new Dictionary<string, object?>
        {
            ["repo"] = repo, ["key"] = KeyPath, ["cell"] = _temp.Sub("cell"),
            ["cred"] = _bucket is null ? null : new PSCredential(TestServers.S3.AccessKey, new NetworkCredential("", TestServers.S3.SecretKey).SecurePassword),
        };
        foreach (var (name, value) in extra) vars[name] = value;
        return _ps.Run(script, vars);
    }

    private string Credential => _bucket is null ? "" : " -StorageCredential $cred";

    [Fact]
    public void A_prune_started_during_a_backup_waits_for_it_and_keeps_the_chunks_it_reused()
    {
        var repo = _temp.Sub("repo");
        Directory.CreateDirectory(_temp.Sub("cell"));
        File.WriteAllBytes(_temp.Sub("cell/x.bin"), PruneFixture.Random(12 << 20, 21));
        Run("Initialize-BackupRepository -Path $repo -Format v2 | Out-Null", repo).AssertNoErrors();
        var old = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key", repo).AssertNoErrors().Single<BackupRecord>();
        Run("Remove-Backup -Id $id -Repository $repo -Confirm:$false", repo, ("id", old.Id)).AssertNoErrors(); // x.bin's chunks: unreferenced now
        File.WriteAllBytes(_temp.Sub("cell/y.bin"), PruneFixture.Random(48 << 20, 22));

        using var backup = new BtProcess($"Backup-Cell -Name crm -Path '{_temp.Sub("cell")}' -Repository '{repo}' -KeyFile '{KeyPath}' -Compression gzip -CompressionLevel 9 | Out-Null");
        var clock = Stopwatch.StartNew();
        var shared = Path.Combine(repo, WriterLock.SharedPrefix);
        while (!(Directory.Exists(shared) && Directory.EnumerateFiles(shared).Any()) && !backup.HasExited && clock.Elapsed < TimeSpan.FromSeconds(90)) Thread.Sleep(20);
        Assert.False(backup.HasExited, "the backup ended before the prune could start: make y.bin bigger");

        var pruned = Run("Optimize-BackupRepository -Repository $repo -KeyFile $key -LockTimeoutSec 300 -Confirm:$false", repo).AssertNoErrors().Single<PruneResult>();
        // The backup releases its lease right after its manifest (its process exits a moment later): the manifest is there.
        var latest = Assert.Single(Run("Get-Backup -Repository $repo", repo).AssertNoErrors().Objects<BackupRecord>());
        Assert.Equal(0, backup.Wait(TimeSpan.FromSeconds(60))!.Value.Code);
        Assert.True(latest.StoredBytes < (48 << 20) + (4 << 20), $"the backup stored {latest.StoredBytes} bytes: it did not reuse x.bin's chunks, so the test proves nothing");
        Assert.True(pruned.ChunksKept > 0);

        var check = Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", repo, ("id", latest.Id)).AssertNoErrors().Single<IntegrityResult>();
        Assert.True(check.Passed, check.FailedCheck);
        Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", repo, ("id", latest.Id), ("dest", _temp.Sub("restored"))).AssertNoErrors();
        TreeSnapshot.AssertSame(_temp.Sub("cell"), _temp.Sub("restored"));
    }

    [Fact]
    public void On_s3_a_prune_killed_mid_deletes_and_rerun_frees_the_space_and_kept_backups_restore()
    {
        _bucket = new S3TestBucket();
        var repo = _bucket.Uri("v2");
        Directory.CreateDirectory(_temp.Sub("cell"));
        File.WriteAllBytes(_temp.Sub("cell/x.bin"), PruneFixture.Random(20 << 20, 31));
        Run("Initialize-BackupRepository -Path $repo -Format v2 -StorageCredential $cred | Out-Null", repo).AssertNoErrors();
        var doomed = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key" + Credential, repo).AssertNoErrors().Single<BackupRecord>();
        File.Delete(_temp.Sub("cell/x.bin"));
        File.WriteAllBytes(_temp.Sub("cell/z.bin"), PruneFixture.Random(3 << 20, 32));
        var kept = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key" + Credential, repo).AssertNoErrors().Single<BackupRecord>();
        long Packs() => _bucket.AllKeys().Where(k => k.StartsWith("v2/data/", StringComparison.Ordinal)).Count();
        var before = Packs();
        Run("Remove-Backup -Id $id -Repository $repo -Confirm:$false" + Credential, repo, ("id", doomed.Id)).AssertNoErrors();

        var preview = Run("Optimize-BackupRepository -Repository $repo -KeyFile $key -WhatIf" + Credential, repo).AssertNoErrors().Single<PruneResult>();
        Assert.False(preview.Applied);
        Assert.True(preview.PacksRemoved >= 1 && preview.BytesFreed > 16 << 20, $"{preview.PacksRemoved} packs, {preview.BytesFreed} bytes");
        Assert.Equal(before, Packs());

        using (var prune = StartPausedPrune(repo, "prune:mid-pack-deletes")) prune.Kill();
        var between = Run("Get-Backup -Repository $repo" + Credential + " | Test-BackupIntegrity -KeyFile $key" + Credential, repo).AssertNoErrors().Single<IntegrityResult>();
        Assert.True(between.Passed, between.FailedCheck);

        var done = Run("Optimize-BackupRepository -Repository $repo -KeyFile $key -LockTimeoutSec 60 -Confirm:$false" + Credential, repo).AssertNoErrors().Single<PruneResult>();
        Assert.True(done.UnindexedPacksRemoved >= 1, "the rerun did not finish the killed prune's deletes");
        Assert.True(Packs() < before - 1, $"{Packs()} packs left of {before}");
        var check = Run("Test-BackupIntegrity -Repository $repo -KeyFile $key -ReadData" + Credential, repo).AssertNoErrors().Single<RepositoryCheckResult>();
        Assert.True(check.Passed, string.Join("; ", check.Checks));
        Assert.Equal("every stored pack is indexed", check.Checks.Single(c => c.Name == "packs:unindexed").Detail);
        Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false" + Credential, repo, ("id", kept.Id), ("dest", _temp.Sub("restored"))).AssertNoErrors();
        TreeSnapshot.AssertSame(_temp.Sub("cell"), _temp.Sub("restored"));
    }
}
