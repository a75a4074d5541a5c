using BackupTools.Core.Engines.Directory.Tar;

namespace BackupTools.Tests.Tar;

public class TarWriterChangingFileTests
{
    [Fact]
    public void File_that_shrinks_while_archived_yields_a_valid_archive_and_a_warning()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "shrinking.bin");
        TarTestSupport.WriteRandom(path, 3 * 1024 * 1024, 9);
        var original = File.ReadAllBytes(path);
        var warnings = new List<string>();
        var archive = new MemoryStream();
        using (var tar = new TarWriter(archive) { Warn = warnings.Add })
        {
            var truncated = false;
            var read = tar.WriteFile("shrinking.bin", path, 0b110_100_100, DateTimeOffset.UnixEpoch, _ =>
            {
                if (truncated) return;
                truncated = true;
                using var writer = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                writer.SetLength(1024 * 1024 + 5);
            });
            Assert.True(read < original.Length);
            tar.WriteBytes("after", "ok"u8, 0b110_100_100, DateTimeOffset.UnixEpoch);
            tar.Finish();
        }
        var warning = Assert.Single(warnings);
        Assert.Contains("shrank", warning);

        archive.Position = 0;
        var reader = new TarReader(archive);
        var entry = reader.Next()!;
        Assert.Equal(original.Length, entry.Header.Size);
        var content = entry.ReadAllBytes();
        Assert.True(content.AsSpan(0, 1024 * 1024 + 5).SequenceEqual(original.AsSpan(0, 1024 * 1024 + 5)));
        Assert.True(content.AsSpan(1024 * 1024 + 5).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal("after", reader.Next()!.Header.Path);
        Assert.Null(reader.Next());
    }

    [Fact]
    public void File_that_grew_since_it_was_scanned_is_cut_to_the_announced_size_with_a_warning()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "growing.bin");
        TarTestSupport.WriteRandom(path, 10_000, 3);
        var warnings = new List<string>();
        var archive = new MemoryStream();
        using (var tar = new TarWriter(archive) { Warn = warnings.Add })
        {
            Assert.Equal(4_000, tar.WriteFile("growing.bin", path, 4_000, 0b110_100_100, DateTimeOffset.UnixEpoch));
            tar.Finish();
        }
        Assert.Contains("grew", Assert.Single(warnings));
        archive.Position = 0;
        var entry = new TarReader(archive).Next()!;
        Assert.Equal(File.ReadAllBytes(path)[..4_000], entry.ReadAllBytes());
    }
}
