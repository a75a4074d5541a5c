using System.Text.Json;
using BackupTools.Core.Repository;
using BackupTools.Core.Repository.Catalog;
using BackupTools.Core.Storage;
using BackupTools.Tests.Faults;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;
using BackupTools.Tests.Storage;

namespace BackupTools.Tests.Repository;

/// <summary>
/// The catalog (catalog/): whatever writers, deleters, crashes and repairs did, Get-Backup lists exactly the backups
/// whose manifest exists (the truth: <see cref="BackupRepository.ListManifests"/>, one read per manifest).
/// </summary>
public sealed class CatalogTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private S3TestBucket? _bucket;

    private string Key => _temp.Sub("key.json");
    private string Credential => _bucket is null ? "" : " -StorageCredential $cred";

    private PsResult Run(string script, string repo, params (string, object?)[] extra)
    {
        var vars = new Dictionary<string, object?> { ["repo"] = repo, ["key"] = Key, ["cred"] = _bucket is null ? null : S3Credential() };
        foreach (var (name, value) in extra) vars[name] = value;
        return _ps.Run(script, vars);
    }

    private static System.Management.Automation.PSCredential S3Credential() =>
        new(TestServers.S3.AccessKey, new System.Net.NetworkCredential("", TestServers.S3.SecretKey).SecurePassword);

    private string NewRepository(bool s3, string format = "v1")
    {
        string repo;
        if (s3)
        {
            _bucket = new S3TestBucket();
            repo = _bucket.Uri("catalog");
        }
        else repo = _temp.Sub("repo");
        Run($"Initialize-BackupRepository -Path $repo -Format {format}{Credential} | Out-Null; New-BackupKey -Path $key | Out-Null", repo).AssertNoErrors();
        return repo;
    }

    private BackupRepository Open(string repo) =>
        new RepositoryReference(repo, _bucket is null ? null : new StorageCredential(TestServers.S3.AccessKey, TestServers.S3.SecretKey)).Open();

    private string Cell(string name)
    {
        var path = _temp.Sub("cells/" + name);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "file.txt"), $"{name} {Guid.NewGuid()}");
        return path;
    }

    private string Backup(string repo, string cell) =>
        Run($"Backup-Cell -Name {cell} -Path $p -Repository $repo -KeyFile $key{Credential}", repo, ("p", Cell(cell))).AssertNoErrors().Single<BackupRecord>().Id;

    /// <summary>The ids of every manifest, read one by one.</summary>
    private List<string> Truth(string repo)
    {
        using var repository = Open(repo);
        return repository.ListManifests().Select(m => m.Id).Order(StringComparer.Ordinal).ToList();
    }

    private List<string> Listed(string repo) =>
        Run($"Get-Backup -Repository $repo{Credential}", repo).AssertNoErrors().Objects<BackupRecord>().Select(r => r.Id).Order(StringComparer.Ordinal).ToList();

    private List<string> CatalogKeysOf(string repo, string prefix)
    {
        using var repository = Open(repo);
        return repository.Store.List(prefix).ToList();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Four_writer_processes_folding_and_merging_at_once_leave_the_listing_equal_to_the_manifests(bool s3)
    {
        var repo = NewRepository(s3);
        const int writers = 4, each = 8;
        for (var w = 0; w < writers; w++) Cell($"w{w}");
        var env = s3 ? new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = TestServers.S3.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = TestServers.S3.SecretKey } : null;
        // Tiny thresholds: each process folds loose entries and merges segments while the others write.
        var children = Enumerable.Range(0, writers).Select(w => new BtProcess(BtProcess.CoreTypeFunction +
            "$m = CoreType BackupTools.Core.Repository.Catalog.CatalogMaintenance; $m::FoldThreshold = 3; $m::MaxSegments = 2; " +
            $"1..{each} | ForEach-Object {{ Backup-Cell -Name w{w} -Path '{_temp.Sub($"cells/w{w}")}' -Repository '{repo}' -KeyFile '{Key}' -LockTimeoutSec 120 | Out-Null }}", env)).ToList();
        foreach (var child in children)
        {
            var (code, _, err) = child.Wait(TimeSpan.FromMinutes(8)) ?? throw new TimeoutException("a writer process hung");
            Assert.True(code == 0, $"a writer process failed: {err}");
            child.Dispose();
        }
        var truth = Truth(repo);
        Assert.Equal(writers * each, truth.Count);
        Assert.Equal(truth, Listed(repo));
        Assert.NotEmpty(CatalogKeysOf(repo, CatalogKeys.SegmentsPrefix));
        Assert.True(CatalogKeysOf(repo, CatalogKeys.EntriesPrefix).Count < writers * each, "no writer ever folded its entries: the test proves nothing");
    }

    [Fact]
    public void Deletes_and_retention_leave_the_listing_equal_to_the_manifests_and_status_as_without_a_catalog()
    {
        var repo = NewRepository(s3: false);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) { ids.Add(Backup(repo, "a")); ids.Add(Backup(repo, "b")); }
        Assert.Equal(Truth(repo), Listed(repo));

        Run("Remove-Backup -Id $id -Repository $repo -Force -Confirm:$false", repo, ("id", ids[3])).AssertNoErrors();
        Assert.Equal(9, Truth(repo).Count);
        Assert.Equal(Truth(repo), Listed(repo));

        Run("Invoke-BackupRetention -Repository $repo -KeepLast 2 -Confirm:$false | Out-Null", repo).AssertNoErrors();
        Assert.Equal(4, Truth(repo).Count);
        Assert.Equal(Truth(repo), Listed(repo));
        Assert.Empty(CatalogKeysOf(repo, CatalogKeys.DeletedPrefix)); // the deleter's compaction folded its tombstones
        Assert.Single(CatalogKeysOf(repo, CatalogKeys.SegmentsPrefix));

        var now = DateTimeOffset.UtcNow;
        string Status() => JsonSerializer.Serialize(new BackupTools.Core.Status.StatusOperation(BackupTools.Core.Operations.NullObserver.Instance)
            .Run(new BackupTools.Core.Status.StatusRequest(new RepositoryReference(repo), new BackupTools.Core.Status.StatusPolicy(TimeSpan.FromDays(1)), Now: now)));
        var fromCatalog = Status();
        Assert.Contains(ids[9], fromCatalog);
        Directory.Delete(Path.Combine(repo, "catalog"), recursive: true); // no catalog: every manifest is read
        Assert.Equal(fromCatalog, Status());
    }

    [Fact]
    public void A_writer_killed_between_its_entry_and_its_manifest_is_not_listed_and_its_entry_goes_once_its_lease_is_gone()
    {
        var repo = NewRepository(s3: false);
        var kept = Backup(repo, "a");
        var killed = Backup(repo, "b");
        // What a writer killed after its catalog entry and before its manifest leaves: the entry alone.
        File.Delete(Path.Combine(repo, "backups", killed, "manifest.json"));
        Assert.Equal([kept], Listed(repo));

        CatalogCompactor.OrphanGrace = TimeSpan.Zero; // the entry was written just now; a real orphan is older
        try
        {
            using var repository = Open(repo);
            using var exclusive = WriterLock.AcquireExclusive(repository, "test", TimeSpan.FromSeconds(30));
            CatalogMaintenance.CompactAfterDeletions(repository, BackupTools.Core.Operations.NullObserver.Instance);
        }
        finally { CatalogCompactor.OrphanGrace = TimeSpan.FromMinutes(15); }
        Assert.Equal([kept], Listed(repo));
        Assert.Empty(CatalogKeysOf(repo, CatalogKeys.EntriesPrefix));
    }

    [Fact]
    public void An_interrupted_deletion_keeps_listing_a_backup_whose_manifest_still_exists()
    {
        var repo = NewRepository(s3: false);
        var id = Backup(repo, "a");
        using (var repository = Open(repo)) CatalogEntry.WriteTombstone(repository.Store, id, default); // killed before deleting the manifest
        Assert.Equal([id], Listed(repo));
        Run("Remove-Backup -Id $id -Repository $repo -Confirm:$false", repo, ("id", id)).AssertNoErrors();
        Assert.Empty(Listed(repo));
    }

    [Fact]
    public void Backups_written_without_an_entry_appear_and_ones_deleted_behind_its_back_go_at_the_next_exclusive_compaction()
    {
        var repo = NewRepository(s3: false);
        var old = Backup(repo, "a");
        var ghost = Backup(repo, "b");
        var other = Backup(repo, "c");
        Run("Repair-BackupRepository -Repository $repo -RebuildIndex", repo).AssertNoErrors(); // all three in one segment
        var unlisted = Backup(repo, "d");
        File.Delete(Path.Combine(repo, CatalogKeys.Entry(unlisted))); // as an older version writes: a manifest only
        File.Delete(Path.Combine(repo, "backups", ghost, "manifest.json")); // deleted without BackupTools
        Assert.DoesNotContain(unlisted, Listed(repo)); // the documented staleness: until the next maintenance run

        var run = Run("Remove-Backup -Id $id -Repository $repo -Confirm:$false", repo, ("id", other)).AssertNoErrors();
        Assert.Contains(run.Warnings, w => w.Contains("whose manifest is gone", StringComparison.Ordinal));
        Assert.Contains(run.Warnings, w => w.Contains("had no catalog entry", StringComparison.Ordinal));
        Assert.Equal(new[] { old, unlisted }.Order(StringComparer.Ordinal), Listed(repo));
        Assert.Equal(Truth(repo), Listed(repo));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rebuild_after_catalog_and_chunk_index_are_lost_lists_verifies_and_restores(bool s3)
    {
        var repo = NewRepository(s3, "v2");
        var cell = Cell("crm");
        File.WriteAllBytes(Path.Combine(cell, "big.bin"), RandomBytes(3 << 20));
        var first = Backup(repo, "crm");
        var second = Backup(repo, "crm");
        using (var repository = Open(repo))
            foreach (var key in repository.Store.List(CatalogKeys.Prefix).Concat(repository.Store.List("index/")).ToList()) repository.Store.Delete(key);

        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), Listed(repo)); // no catalog: every manifest is read
        var stale = Run($"Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key{Credential}", repo, ("id", second));
        Assert.Contains("ChunkNotInIndex", Assert.Single(stale.Objects<IntegrityResult>()).Checks.First(c => !c.Passed).Detail);

        var result = Run($"Repair-BackupRepository -Repository $repo -RebuildIndex -KeyFile $key{Credential}", repo).AssertNoErrors().Single<IndexRebuildResult>();
        Assert.Equal(2, result.Backups);
        Assert.True(result.PacksReadFromHeaders >= 1 && result.PacksReadFromHeaders == result.Packs, $"{result.PacksReadFromHeaders} of {result.Packs} packs indexed from headers");
        Assert.Equal(1, result.IndexFilesWritten);
        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), Listed(repo));
        Assert.Single(CatalogKeysOf(repo, CatalogKeys.SegmentsPrefix));
        var checks = Run($"Get-Backup -Repository $repo{Credential} | Test-BackupIntegrity -KeyFile $key{Credential}", repo).AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(2, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed, c.FailedCheck));
        var restored = _temp.Sub("restored");
        Run($"Restore-Cell -Id $id -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false{Credential}", repo, ("id", second), ("dest", restored)).AssertNoErrors();
        Assert.Equal(File.ReadAllBytes(Path.Combine(cell, "big.bin")), File.ReadAllBytes(Path.Combine(restored, "big.bin")));
    }

    [Fact]
    public void A_stale_index_naming_a_lost_pack_is_named_by_the_check_and_rewritten_by_the_rebuild()
    {
        var repo = NewRepository(s3: false, "v2");
        var cell = Cell("crm");
        File.WriteAllBytes(Path.Combine(cell, "big.bin"), RandomBytes(2 << 20));
        var id = Backup(repo, "crm");
        var pack = Directory.GetFiles(Path.Combine(repo, "data"), "*", SearchOption.AllDirectories).First();
        File.Delete(pack);
        var check = Assert.Single(Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", repo, ("id", id)).Objects<IntegrityResult>());
        var detail = check.Checks.First(c => !c.Passed).Detail;
        Assert.Contains("PackMissing", detail);
        Assert.Contains(Path.GetFileName(pack), detail);

        var repair = Run("Repair-BackupRepository -Repository $repo -RebuildIndex -KeyFile $key", repo);
        Assert.Equal(1, repair.AssertNoErrors().Single<IndexRebuildResult>().IndexFilesRemoved);
        Assert.Contains(repair.Warnings, w => w.Contains(Path.GetFileName(pack), StringComparison.Ordinal));
        using var repository = Open(repo);
        var keys = BackupTools.Core.Keys.BackupKeyRing.Load(new BackupTools.Core.Keys.KeySources([Key], [], false), _ => { });
        var indexed = repository.Store.List("index/").SelectMany(k => BackupTools.Core.Repository.Chunked.IndexFile.Read(repository.Store, k, keys).Packs).ToList();
        Assert.DoesNotContain(indexed, p => pack.EndsWith(p.Pack.Id, StringComparison.Ordinal));
    }

    [Fact]
    public void A_damaged_segment_is_named_and_the_listing_falls_back_to_the_manifests()
    {
        var repo = NewRepository(s3: false);
        var a = Backup(repo, "a");
        Run("Repair-BackupRepository -Repository $repo -RebuildIndex", repo).AssertNoErrors();
        var segment = Directory.GetFiles(Path.Combine(repo, "catalog", "segments")).Single();
        File.WriteAllBytes(segment, [1, 2, 3, 4]);
        var listing = Run("Get-Backup -Repository $repo", repo).AssertNoErrors();
        Assert.Equal([a], listing.Objects<BackupRecord>().Select(r => r.Id));
        Assert.Contains(listing.Warnings, w => w.Contains("CatalogDamaged", StringComparison.Ordinal) || w.Contains(Path.GetFileName(segment), StringComparison.Ordinal));
        Run("Repair-BackupRepository -Repository $repo -RebuildIndex", repo).AssertNoErrors();
        Assert.Empty(Run("Get-Backup -Repository $repo", repo).AssertNoErrors().Warnings);
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(7).NextBytes(bytes);
        return bytes;
    }

    public void Dispose()
    {
        _ps.Dispose();
        _bucket?.Dispose();
        _temp.Dispose();
    }
}
