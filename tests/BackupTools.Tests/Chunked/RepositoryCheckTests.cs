using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository.Chunked;
using BackupTools.Core.Storage;
using BackupTools.Core.Verification;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Chunked;

/// <summary>Test-BackupIntegrity's repository check of a format-2 repository: quick (index ↔ packs ↔ manifests), -ReadData, -ReadDataSubset.</summary>
public sealed class RepositoryCheckTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly BackupKeyRing _keys = new();
    private readonly PruneFixture _fixture;

    public RepositoryCheckTests()
    {
        _keys.Add(BackupKey.Generate());
        _fixture = new PruneFixture(_temp.Sub("repo"), _keys);
        using var repository = PruneFixture.InitSmallPacks(new LocalBackupStore(_fixture.Root));
        _fixture.Write(repository, PruneFixture.Random(20 << 20, 5));
        _fixture.Write(repository, PruneFixture.Random(6 << 20, 6));
    }

    public void Dispose() => _temp.Dispose();

    private RepositoryCheckResult Check(string? subset = null) =>
        new RepositoryChecker(_fixture.Open(), NullObserver.Instance).Check(_keys, subset is null ? null : subset == "all" ? PackSubset.All : PackSubset.Parse(subset), CancellationToken.None);

    private List<string> PackFiles() => Directory.EnumerateFiles(Path.Combine(_fixture.Root, "data"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void A_healthy_repository_passes_quick_and_full_and_the_subsets_read_every_pack_once()
    {
        var quick = Check();
        Assert.True(quick.Passed, string.Join("; ", quick.Checks));
        Assert.Equal(0, quick.PacksRead);
        var all = Check("all");
        Assert.True(all.Passed, string.Join("; ", all.Checks));
        Assert.Equal(PackFiles().Count, all.PacksRead);
        Assert.Equal(PackFiles().Sum(f => new FileInfo(f).Length), all.BytesRead);
        Assert.Equal(all.PacksRead, Enumerable.Range(1, 4).Sum(n => Check($"{n}/4").PacksRead));
        Assert.Equal(all.PacksRead, Check("100%").PacksRead);
    }

    [Fact]
    public void A_flipped_byte_is_found_by_read_data_and_by_the_matching_subset_only()
    {
        var packs = PackFiles();
        var damaged = packs[packs.Count / 2];
        var bytes = File.ReadAllBytes(damaged);
        bytes[bytes.Length / 4] ^= 0x01;
        File.WriteAllBytes(damaged, bytes);
        var id = Path.GetFileName(damaged);

        Assert.True(Check().Passed, "the quick check reads no pack content: same size, so it cannot see a flipped byte");
        var full = Check("all");
        Assert.False(full.Passed);
        Assert.Equal("read-data", full.FailedCheck);
        Assert.Contains(id, full.Checks.Single(c => !c.Passed).Detail);

        var bucket = (int)(Convert.ToUInt64(id[..8], 16) % 5) + 1;
        for (var n = 1; n <= 5; n++)
        {
            var subset = Check($"{n}/5");
            Assert.True(subset.Passed == (n != bucket), $"subset {n}/5 (pack in bucket {bucket}): passed={subset.Passed}");
            if (n == bucket) Assert.Contains(id, subset.Checks.Single(c => !c.Passed).Detail);
        }
    }

    [Fact]
    public void The_quick_check_names_a_lost_pack_and_the_backups_it_breaks()
    {
        var lost = PackFiles()[0];
        File.Delete(lost);
        var quick = Check();
        Assert.False(quick.Passed);
        var packs = quick.Checks.Single(c => c.Name == "packs");
        Assert.False(packs.Passed);
        Assert.Contains("PackMissing", packs.Detail);
        Assert.Contains(Path.GetFileName(lost), packs.Detail);
        var chunks = quick.Checks.Single(c => c.Name == "chunks");
        Assert.False(chunks.Passed);
        Assert.Contains("backup ", chunks.Detail);
    }

    [Fact]
    public void The_quick_check_names_chunks_no_index_lists_and_an_unreadable_index_file()
    {
        var index = Directory.GetFiles(Path.Combine(_fixture.Root, "index"))[0];
        File.WriteAllBytes(index, new byte[100]);
        var quick = Check();
        Assert.False(quick.Passed);
        Assert.Contains(Path.GetFileName(index), quick.Checks.Single(c => c.Name == "index").Detail);
        Assert.Contains("ChunkNotInIndex", quick.Checks.Single(c => c.Name == "chunks").Detail);
        Assert.Contains("no index file names", quick.Checks.Single(c => c.Name == "packs:unindexed").Detail);
    }

    [Theory]
    [InlineData("0/3")]
    [InlineData("4/3")]
    [InlineData("0%")]
    [InlineData("101%")]
    [InlineData("half")]
    public void A_bad_subset_is_refused_by_name(string text) =>
        Assert.Equal("ReadDataSubsetInvalid", Assert.Throws<BackupInputException>(() => PackSubset.Parse(text)).ErrorId);
}
