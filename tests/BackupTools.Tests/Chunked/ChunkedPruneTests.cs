using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Repository.Chunked;
using BackupTools.Core.Verification;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Chunked;

/// <summary>Deleting chunked backups and pruning what no kept backup references, through the core API.</summary>
public sealed class ChunkedPruneTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly BackupKeyRing _keys = new();

    public ChunkedPruneTests() => _keys.Add(BackupKey.Generate());

    public void Dispose() => _temp.Dispose();

    private PruneResult Prune(BackupRepository repository, bool apply = true, int threshold = 50) =>
        new RepositoryPruner(repository, NullObserver.Instance).Prune(_keys, threshold, TimeSpan.FromSeconds(30), (_, _) => apply, CancellationToken.None);

    private static List<(string, long)> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/audit/") && !f.Contains("/locks/"))
            .Select(f => (f, new FileInfo(f).Length)).Order().ToList();

    private static long Stored(string root) => ChunkedRepo.PackBytes(root) + Directory.EnumerateFiles(Path.Combine(root, "index")).Sum(f => new FileInfo(f).Length);

    [Fact]
    public void Remove_backup_deletes_a_chunked_backup_and_leaves_its_chunks_to_prune()
    {
        var fixture = new PruneFixture(_temp.Sub("repo"), _keys).Build();
        using var repository = fixture.Open();
        Assert.DoesNotContain(repository.ListManifests(), m => m.Id == fixture.A.Id);
        Assert.False(Directory.Exists(Path.Combine(fixture.Root, "backups", fixture.A.Id)));
        var indexed = IndexSnapshot.Load(repository.Store, _keys).ChunkHolders().Keys.Select(k => k.ToString()).ToHashSet();
        Assert.Subset(indexed, fixture.A.Data.Chunks!.ToHashSet()); // nothing pruned yet
        fixture.AssertKeptBackupsRestore();
    }

    [Fact]
    public void Prune_removes_unused_packs_rewrites_the_mostly_empty_one_and_every_kept_backup_restores()
    {
        var fixture = new PruneFixture(_temp.Sub("repo"), _keys).Build();
        using var repository = fixture.Open();
        Assert.True(fixture.PacksOfA >= 4, $"A filled {fixture.PacksOfA} packs");
        var before = Files(fixture.Root);
        var storedBefore = Stored(fixture.Root);

        var preview = Prune(repository, apply: false);
        Assert.False(preview.Applied);
        Assert.Equal(before, Files(fixture.Root));
        Assert.Equal(fixture.PacksAfterSplit, preview.PacksRemoved);
        Assert.Equal(1, preview.PacksRewritten);
        Assert.True(preview.BytesFreed > 0);

        var done = Prune(repository);
        Assert.True(done.Applied);
        Assert.Equal(fixture.PacksAfterSplit, done.PacksRemoved);
        Assert.Equal(1, done.PacksRewritten);
        Assert.Equal(1, done.PacksWritten);
        Assert.Equal(1, done.ChunksRepacked); // B's last chunk, the only live one in the split pack
        Assert.Equal(fixture.B.Data.Chunks!.Union(fixture.C.Data.Chunks!).Count(), done.ChunksKept);
        Assert.Equal(storedBefore - Stored(fixture.Root), done.BytesFreed);
        Assert.True(done.BytesFreed > (long)fixture.PacksAfterSplit * PruneFixture.PackSize, $"{done.BytesFreed} bytes freed");
        fixture.AssertKeptBackupsRestore();

        var indexed = IndexSnapshot.Load(repository.Store, _keys).ChunkHolders().Keys.Select(k => k.ToString()).ToHashSet();
        Assert.Subset(fixture.B.Data.Chunks!.Union(fixture.C.Data.Chunks!).ToHashSet(), indexed.Intersect(fixture.A.Data.Chunks!).ToHashSet());
        var check = new RepositoryChecker(repository, NullObserver.Instance).Check(_keys, PackSubset.All, CancellationToken.None);
        Assert.True(check.Passed, string.Join("; ", check.Checks));

        var again = Prune(fixture.Open());
        Assert.Equal((0, 0, 0, 0L), (again.PacksRemoved, again.PacksRewritten, again.UnindexedPacksRemoved, again.BytesFreed));
    }

    [Fact]
    public void A_threshold_of_100_only_deletes_wholly_unused_packs()
    {
        var fixture = new PruneFixture(_temp.Sub("repo"), _keys).Build();
        var done = Prune(fixture.Open(), threshold: 100);
        Assert.Equal(0, done.PacksRewritten);
        Assert.Equal(fixture.PacksAfterSplit, done.PacksRemoved);
        fixture.AssertKeptBackupsRestore();
    }

    [Fact]
    public void Prune_refuses_when_a_referenced_chunk_is_in_no_index_file_and_changes_nothing()
    {
        var fixture = new PruneFixture(_temp.Sub("repo"), _keys).Build();
        var indexFiles = Directory.GetFiles(Path.Combine(fixture.Root, "index"));
        var ofC = indexFiles.Single(f => IndexFile.Read(fixture.Open().Store, "index/" + Path.GetFileName(f), _keys).Packs
            .Any(p => p.Chunks.Any(c => c.Id == fixture.C.Data.Chunks![0])));
        File.Delete(ofC); // C's packs are now unindexed: prune must not take them for leftovers
        var before = Files(fixture.Root);
        var error = Assert.Throws<BackupIntegrityException>(() => Prune(fixture.Open()));
        Assert.Equal("PruneChunksMissing", error.ErrorId);
        Assert.Contains(fixture.C.Id, error.Message);
        Assert.Equal(before, Files(fixture.Root));
    }

    [Fact]
    public void Prune_refuses_an_unreadable_manifest()
    {
        var fixture = new PruneFixture(_temp.Sub("repo"), _keys).Build();
        File.WriteAllText(Path.Combine(fixture.Root, "backups", fixture.C.Id, "manifest.json"), "{ not json");
        var before = Files(fixture.Root);
        Assert.Equal("ManifestUnreadable", Assert.ThrowsAny<BackupToolsException>(() => Prune(fixture.Open())).ErrorId);
        Assert.Equal(before, Files(fixture.Root));
    }

    [Fact]
    public void Prune_removes_packs_no_index_names()
    {
        var fixture = new PruneFixture(_temp.Sub("repo"), _keys).Build();
        Prune(fixture.Open());
        var stray = Path.Combine(fixture.Root, "data", "ab", "ab" + new string('0', 62));
        Directory.CreateDirectory(Path.GetDirectoryName(stray)!);
        File.WriteAllBytes(stray, new byte[1000]); // what a backup killed before its index file leaves
        var done = Prune(fixture.Open());
        Assert.Equal(1, done.UnindexedPacksRemoved);
        Assert.Equal(1000, done.BytesFreed);
        Assert.False(File.Exists(stray));
        fixture.AssertKeptBackupsRestore();
    }

    [Fact]
    public void Prune_of_a_format_1_repository_is_refused_by_name()
    {
        using var v1 = BackupRepository.Initialize(new BackupTools.Core.Storage.LocalBackupStore(_temp.Sub("v1")), new RepositoryDefaults(), formatVersion: 1);
        Assert.Equal("RepositoryNotChunked", Assert.ThrowsAny<BackupToolsException>(() => Prune(v1)).ErrorId);
    }
}
