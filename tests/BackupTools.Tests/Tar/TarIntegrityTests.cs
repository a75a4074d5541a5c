using BackupTools.Core.Engines.Directory.Tar;
using BackupTools.Core.Errors;

namespace BackupTools.Tests.Tar;

public class TarIntegrityTests
{
    private static byte[] SampleArchive()
    {
        var archive = new MemoryStream();
        using var tar = new TarWriter(archive);
        tar.WriteDirectory("data", 0b111_101_101, DateTimeOffset.UnixEpoch);
        var content = new byte[5000];
        new Random(1).NextBytes(content);
        tar.WriteBytes("data/file.bin", content, 0b110_100_100, DateTimeOffset.UnixEpoch);
        tar.WriteBytes("data/second.txt", "second"u8, 0b110_100_100, TarTestSupport.SubSecond);
        tar.Finish();
        return archive.ToArray();
    }

    private static void ReadAll(byte[] archive)
    {
        var reader = new TarReader(new ForwardOnlyStream(new MemoryStream(archive)));
        while (reader.Next() is { } entry) entry.CopyDataTo(Stream.Null);
    }

    [Fact]
    public void Intact_archive_reads_fully() => ReadAll(SampleArchive());

    [Fact]
    public void Corrupt_header_checksum_is_an_integrity_error()
    {
        var archive = SampleArchive();
        archive[512 + 3] ^= 0x20; // the second entry's name
        var e = Assert.Throws<BackupIntegrityException>(() => ReadAll(archive));
        Assert.Equal("TarHeaderChecksumMismatch", e.ErrorId);
        Assert.Equal(FailureKind.IntegrityFailure, e.Kind);
    }

    [Fact]
    public void Archive_cut_mid_entry_is_an_integrity_error()
    {
        var archive = SampleArchive()[..(512 + 512 + 3000)];
        var e = Assert.Throws<BackupIntegrityException>(() => ReadAll(archive));
        Assert.Equal("TarTruncated", e.ErrorId);
    }

    [Fact]
    public void Archive_cut_mid_header_is_an_integrity_error()
    {
        var archive = SampleArchive()[..(512 + 100)];
        Assert.Equal("TarTruncated", Assert.Throws<BackupIntegrityException>(() => ReadAll(archive)).ErrorId);
    }

    [Fact]
    public void Skipping_an_entry_of_a_truncated_archive_is_an_integrity_error()
    {
        var archive = SampleArchive()[..(512 + 512 + 3000)];
        var reader = new TarReader(new MemoryStream(archive));
        reader.Next();
        reader.Next();
        Assert.Equal("TarTruncated", Assert.Throws<BackupIntegrityException>(() => reader.Next()).ErrorId);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(512)]
    public void Archive_without_end_marker_is_an_integrity_error(int cut)
    {
        var full = SampleArchive();
        var archive = full[..(full.Length - cut)];
        var e = Assert.Throws<BackupIntegrityException>(() => ReadAll(archive));
        Assert.Equal("TarMissingEndOfArchive", e.ErrorId);
    }

    [Fact]
    public void Reading_a_huge_entry_into_memory_is_refused()
    {
        var sink = new MemoryStream();
        using var tmp = new TempDir();
        var file = Path.Combine(tmp.Path, "f");
        File.WriteAllBytes(file, [1]);
        using (var tar = new TarWriter(sink)) { tar.WriteFile("f", file, 65L * 1024 * 1024, 0b110_100_100, DateTimeOffset.UnixEpoch); tar.Finish(); }
        sink.Position = 0;
        var entry = new TarReader(sink).Next()!;
        Assert.Equal("TarEntryTooLarge", Assert.Throws<BackupIntegrityException>(() => entry.ReadAllBytes()).ErrorId);
    }
}
