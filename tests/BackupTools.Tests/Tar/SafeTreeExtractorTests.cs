using BackupTools.Core.Engines.Directory.Tar;
using BackupTools.Core.Errors;

namespace BackupTools.Tests.Tar;

public class SafeTreeExtractorTests
{
    private const int FileMode = 0b110_100_100;
    private const int DirMode = 0b111_101_101;
    private static readonly DateTimeOffset T = DateTimeOffset.FromUnixTimeSeconds(1_600_000_000);

    private static MemoryStream Archive(Action<TarWriter> write)
    {
        var output = new MemoryStream();
        using (var tar = new TarWriter(output))
        {
            write(tar);
            tar.Finish();
        }
        output.Position = 0;
        return output;
    }

    private static void ApplyAll(SafeTreeExtractor extractor, Stream archive)
    {
        var reader = new TarReader(archive);
        while (reader.Next() is { } entry) extractor.Apply(entry);
    }

    [Fact]
    public void Entry_below_a_symlink_from_the_archive_is_refused_and_nothing_is_written_outside()
    {
        if (OperatingSystem.IsWindows()) return;
        using var tmp = new TempDir();
        var outside = tmp.Sub("outside");
        var root = Path.Combine(tmp.Path, "root");
        var extractor = new SafeTreeExtractor(root);
        var archive = Archive(t =>
        {
            t.WriteSymlink("link", outside, 0b111_111_111, T);
            t.WriteBytes("link/evil", "pwned"u8, FileMode, T);
        });
        var e = Assert.Throws<BackupToolsException>(() => ApplyAll(extractor, archive));
        Assert.Equal("RestoreEntryEscapesDestination", e.ErrorId);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public void Entry_below_a_symlink_from_an_earlier_layer_is_refused()
    {
        if (OperatingSystem.IsWindows()) return;
        using var tmp = new TempDir();
        var outside = tmp.Sub("outside");
        var extractor = new SafeTreeExtractor(Path.Combine(tmp.Path, "root"));
        ApplyAll(extractor, Archive(t => t.WriteSymlink("link", outside, 0b111_111_111, T)));
        var e = Assert.Throws<BackupToolsException>(() => ApplyAll(extractor, Archive(t => t.WriteBytes("link/evil", "pwned"u8, FileMode, T))));
        Assert.Equal("RestoreEntryEscapesDestination", e.ErrorId);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public void Entry_below_a_pre_existing_symlink_in_the_root_is_refused()
    {
        if (OperatingSystem.IsWindows()) return;
        using var tmp = new TempDir();
        var outside = tmp.Sub("outside");
        var root = tmp.Sub("root");
        File.CreateSymbolicLink(Path.Combine(root, "link"), outside);
        var extractor = new SafeTreeExtractor(root);
        foreach (var write in new Action<TarWriter>[]
                 {
                     t => t.WriteBytes("link/evil", "pwned"u8, FileMode, T),
                     t => t.WriteDirectory("link/sub", DirMode, T),
                     t => t.WriteSymlink("link/ln", "/etc/passwd", 0b111_111_111, T),
                 })
        {
            var e = Assert.Throws<BackupToolsException>(() => ApplyAll(extractor, Archive(write)));
            Assert.Equal("RestoreEntryEscapesDestination", e.ErrorId);
        }
        Assert.Throws<BackupToolsException>(() => extractor.Remove("link/x"));
        extractor.Complete();
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public void File_entry_replaces_a_pre_existing_symlink_instead_of_writing_through_it()
    {
        if (OperatingSystem.IsWindows()) return;
        using var tmp = new TempDir();
        var outsideFile = Path.Combine(tmp.Sub("outside"), "target.txt");
        File.WriteAllText(outsideFile, "original");
        var root = tmp.Sub("root");
        File.CreateSymbolicLink(Path.Combine(root, "f"), outsideFile);
        var extractor = new SafeTreeExtractor(root);
        ApplyAll(extractor, Archive(t => t.WriteBytes("f", "new"u8, FileMode, T)));
        extractor.Complete();
        Assert.Equal("original", File.ReadAllText(outsideFile));
        Assert.Null(new FileInfo(Path.Combine(root, "f")).LinkTarget);
        Assert.Equal("new", File.ReadAllText(Path.Combine(root, "f")));
    }

    [Fact]
    public void Later_layers_replace_kinds_delete_paths_and_the_last_symlink_wins()
    {
        if (OperatingSystem.IsWindows()) return;
        using var tmp = new TempDir();
        var root = Path.Combine(tmp.Path, "root");
        var extractor = new SafeTreeExtractor(root);
        ApplyAll(extractor, Archive(t =>
        {
            t.WriteDirectory("was-dir", DirMode, T);
            t.WriteBytes("was-dir/inner", "x"u8, 0b100_100_100, T);
            t.WriteBytes("was-file", "x"u8, FileMode, T);
            t.WriteSymlink("was-link", "somewhere", 0b111_111_111, T);
            t.WriteSymlink("relinked", "first", 0b111_111_111, T);
            t.WriteSymlink("removed-link", "gone", 0b111_111_111, T);
            t.WriteBytes("removed-file", "x"u8, FileMode, T);
        }));
        ApplyAll(extractor, Archive(t =>
        {
            t.WriteBytes("was-dir", "now a file"u8, FileMode, T);
            t.WriteDirectory("was-file", 0b111_000_000, T.AddSeconds(5));
            t.WriteDirectory("was-link", DirMode, T);
            t.WriteBytes("was-link/child", "c"u8, FileMode, T);
            t.WriteSymlink("relinked", "second", 0b111_111_111, T);
        }));
        extractor.Remove("removed-link");
        extractor.Remove("removed-file");
        extractor.Complete();

        Assert.Equal("now a file", File.ReadAllText(Path.Combine(root, "was-dir")));
        Assert.True(Directory.Exists(Path.Combine(root, "was-file")));
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(Path.Combine(root, "was-file")));
        Assert.Equal(T.AddSeconds(5).UtcDateTime, Directory.GetLastWriteTimeUtc(Path.Combine(root, "was-file")));
        Assert.Null(new DirectoryInfo(Path.Combine(root, "was-link")).LinkTarget);
        Assert.Equal("c", File.ReadAllText(Path.Combine(root, "was-link", "child")));
        Assert.Equal("second", new FileInfo(Path.Combine(root, "relinked")).LinkTarget);
        Assert.False(Path.Exists(Path.Combine(root, "removed-link")) || new FileInfo(Path.Combine(root, "removed-link")).LinkTarget != null);
        Assert.False(File.Exists(Path.Combine(root, "removed-file")));
    }

    [Fact]
    public void Directory_modes_and_mtimes_are_applied_after_content()
    {
        if (OperatingSystem.IsWindows()) return;
        using var tmp = new TempDir();
        var root = Path.Combine(tmp.Path, "root");
        var extractor = new SafeTreeExtractor(root);
        ApplyAll(extractor, Archive(t =>
        {
            t.WriteDirectory("ro", 0b101_101_101, TarTestSupport.SubSecond);
            t.WriteDirectory("ro/sub", 0b101_000_000, TarTestSupport.SubSecond.AddSeconds(1));
            t.WriteBytes("ro/sub/file", "x"u8, 0b100_000_000, TarTestSupport.SubSecond.AddSeconds(2));
            t.WriteSymlink("ro/sub/ln", "file", 0b111_111_111, T);
        }));
        extractor.Complete();
        Assert.Equal(TarTestSupport.SubSecond.UtcDateTime, Directory.GetLastWriteTimeUtc(Path.Combine(root, "ro")));
        Assert.Equal(TarTestSupport.SubSecond.AddSeconds(1).UtcDateTime, Directory.GetLastWriteTimeUtc(Path.Combine(root, "ro", "sub")));
        Assert.Equal((UnixFileMode)0b101_000_000, File.GetUnixFileMode(Path.Combine(root, "ro", "sub")));
        Assert.Equal(TarTestSupport.SubSecond.AddSeconds(2).UtcDateTime, File.GetLastWriteTimeUtc(Path.Combine(root, "ro", "sub", "file")));
        Assert.Equal("file", new FileInfo(Path.Combine(root, "ro", "sub", "ln")).LinkTarget);
    }

    [Fact]
    public void Escaping_entry_names_are_refused_by_the_extractor()
    {
        using var tmp = new TempDir();
        var extractor = new SafeTreeExtractor(Path.Combine(tmp.Path, "root"));
        var e = Assert.Throws<BackupToolsException>(() => ApplyAll(extractor, Archive(t => t.WriteBytes("../escape.txt", "x"u8, FileMode, T))));
        Assert.Equal("RestoreEntryEscapesDestination", e.ErrorId);
        Assert.False(File.Exists(Path.Combine(tmp.Path, "escape.txt")));
    }
}
