using BackupTools.Core.Engines.Directory.Tar;

namespace BackupTools.Tests.Tar;

public class TarSparseTests
{
    private const long ApparentSize = 200L * 1024 * 1024;

    /// <summary>200 MB apparent, 3 data regions of about 1 MB, ending in a hole.</summary>
    internal static string CreateSparseFile(string dir, string name = "disk.img")
    {
        var path = Path.Combine(dir, name);
        var rnd = new Random(5);
        using (var fs = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            fs.SetLength(ApparentSize);
            foreach (var offset in new[] { 0L, 100L * 1024 * 1024, 150L * 1024 * 1024 + 4096 })
            {
                var chunk = new byte[1024 * 1024 + 100];
                rnd.NextBytes(chunk);
                fs.Position = offset;
                fs.Write(chunk);
            }
        }
        File.SetLastWriteTimeUtc(path, TarTestSupport.SubSecond.UtcDateTime);
        return path;
    }

    [Fact]
    public void Sparse_file_round_trips_and_stays_sparse()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var tmp = new TempDir();
        var source = tmp.Sub("src");
        var sparse = CreateSparseFile(source);
        Assert.True(TarTestSupport.AllocatedBlocks(sparse) * 512 < 16L * 1024 * 1024, "the test filesystem must support sparse files");

        var archive = TarTestSupport.ArchiveTreeToBytes(source);
        Assert.True(archive.Length < 8 * 1024 * 1024, $"archive holds only the data regions, was {archive.Length} bytes");

        var restored = Path.Combine(tmp.Path, "restored");
        var headers = TarTestSupport.ExtractAll(new ForwardOnlyStream(new MemoryStream(archive)), restored);
        var header = Assert.Single(headers);
        Assert.Equal(ApparentSize, header.Size);
        Assert.NotNull(header.Sparse);
        Assert.Equal(3, header.Sparse!.Count);
        Assert.Equal(0, header.Sparse[0].Offset);

        var restoredFile = Path.Combine(restored, "disk.img");
        Assert.Equal(ApparentSize, new FileInfo(restoredFile).Length);
        Assert.True(TarTestSupport.SameContent(sparse, restoredFile));
        Assert.True(TarTestSupport.AllocatedBlocks(restoredFile) * 512 < 16L * 1024 * 1024, "restored file must stay sparse");
        TarTestSupport.AssertSameTree(source, restored);
    }

    [Fact]
    public void Sparse_entry_copies_out_expanded_with_zeros()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var tmp = new TempDir();
        var source = tmp.Sub("src");
        var sparse = CreateSparseFile(source);
        var archive = TarTestSupport.ArchiveTreeToBytes(source);
        var entry = new TarReader(new MemoryStream(archive)).Next()!;
        var expanded = Path.Combine(tmp.Path, "expanded");
        using (var output = File.Create(expanded)) entry.CopyDataTo(output);
        Assert.True(TarTestSupport.SameContent(sparse, expanded));
    }

    [Fact]
    public void File_that_is_all_hole_round_trips()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var tmp = new TempDir();
        var source = tmp.Sub("src");
        using (var fs = File.Create(Path.Combine(source, "holes"))) fs.SetLength(50L * 1024 * 1024);
        var archive = TarTestSupport.ArchiveTreeToBytes(source);
        Assert.True(archive.Length < 64 * 1024);
        var restored = Path.Combine(tmp.Path, "restored");
        TarTestSupport.ExtractAll(new MemoryStream(archive), restored);
        TarTestSupport.AssertSameTree(source, restored);
    }
}
