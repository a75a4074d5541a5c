using System.Text;
using BackupTools.Core.Engines.Directory.Tar;

namespace BackupTools.Tests.Tar;

/// <summary>Cross-checks with GNU tar, both ways. Skipped (passes trivially) where GNU tar is not installed.</summary>
public class GnuTarCompatibilityTests
{
    [Fact]
    public void Gnu_tar_lists_and_extracts_our_archive_identically()
    {
        if (!TarTestSupport.HasGnuTar()) return;
        using var tmp = new TempDir();
        var source = tmp.Sub("src");
        TarTestSupport.BuildSampleTree(source);
        TarSparseTests.CreateSparseFile(source);
        var archivePath = Path.Combine(tmp.Path, "ours.tar");
        File.WriteAllBytes(archivePath, TarTestSupport.ArchiveTreeToBytes(source));

        var listing = TarTestSupport.Run("tar", "-tf", archivePath).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.TrimEnd('/')).OrderBy(l => l, StringComparer.Ordinal).ToList();
        Assert.Equal(TarTestSupport.Listing(source).Keys.ToList(), listing);
        var verbose = TarTestSupport.Run("tar", "-tvf", archivePath);
        Assert.Contains("209715200", verbose); // the sparse file is listed with its real size
        Assert.Contains("données/日本語 ✓.txt", verbose);
        Assert.Contains("rel-link -> données/日本語 ✓.txt", verbose);

        var extracted = tmp.Sub("gnu");
        TarTestSupport.Run("tar", "-xpf", archivePath, "-C", extracted);
        TarTestSupport.AssertSameTree(source, extracted);
    }

    [Fact]
    public void We_read_gnu_tar_pax_output_including_sparse_files()
    {
        if (!TarTestSupport.HasGnuTar()) return;
        using var tmp = new TempDir();
        var source = tmp.Sub("src");
        TarTestSupport.BuildSampleTree(source);
        TarSparseTests.CreateSparseFile(source);
        var archivePath = Path.Combine(tmp.Path, "gnu.tar");
        TarTestSupport.Run("tar", "--format=pax", "--sparse", "-cf", archivePath, "-C", source, ".");

        var restored = Path.Combine(tmp.Path, "restored");
        List<TarEntryHeader> headers;
        using (var input = File.OpenRead(archivePath)) headers = TarTestSupport.ExtractAll(new ForwardOnlyStream(input), restored);
        TarTestSupport.AssertSameTree(source, restored);
        Assert.NotNull(headers.Single(h => h.Path == "disk.img").Sparse);
        Assert.True(TarTestSupport.AllocatedBlocks(Path.Combine(restored, "disk.img")) * 512 < 16L * 1024 * 1024);
    }

    [Fact]
    public void We_read_gnu_format_long_names()
    {
        if (!TarTestSupport.HasGnuTar()) return;
        using var tmp = new TempDir();
        var source = tmp.Sub("src");
        var longName = string.Join('/', Enumerable.Range(0, 3).Select(i => new string((char)('p' + i), 90)));
        Directory.CreateDirectory(Path.Combine(source, Path.GetDirectoryName(longName)!));
        File.WriteAllText(Path.Combine(source, longName), "long");
        File.CreateSymbolicLink(Path.Combine(source, "ln"), longName);
        var archivePath = Path.Combine(tmp.Path, "gnu.tar");
        TarTestSupport.Run("tar", "--format=gnu", "-cf", archivePath, "-C", source, new string('p', 90), "ln");

        using var input = File.OpenRead(archivePath);
        var reader = new TarReader(input);
        var entries = new Dictionary<string, TarEntry>();
        string? content = null;
        while (reader.Next() is { } e)
        {
            entries[e.Header.Path] = e;
            if (e.Header.Path == longName) content = Encoding.UTF8.GetString(e.ReadAllBytes());
        }
        Assert.Equal("long", content);
        Assert.Equal(longName, entries["ln"].Header.LinkTarget);
    }
}
