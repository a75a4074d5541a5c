using System.Text;
using BackupTools.Core.Engines.Directory.Tar;
using BackupTools.Core.Pipeline;

namespace BackupTools.Tests.Tar;

public class TarRoundTripTests
{
    [Fact]
    public void Tree_round_trips_with_contents_modes_mtimes_and_links()
    {
        if (OperatingSystem.IsWindows()) return;
        using var tmp = new TempDir();
        var source = tmp.Sub("src");
        TarTestSupport.BuildSampleTree(source);

        var archive = new MemoryStream();
        using (var tar = new TarWriter(new WriteOnlyStream(archive)))
        {
            TarTestSupport.ArchiveTree(tar, source);
            tar.Finish();
        }
        archive.Position = 0;
        var restored = Path.Combine(tmp.Path, "restored");
        var headers = TarTestSupport.ExtractAll(new ForwardOnlyStream(archive), restored);

        TarTestSupport.AssertSameTree(source, restored);
        Assert.Contains(headers, h => h.Path == "données/日本語 ✓.txt" && h.Kind == TarEntryKind.File);
        Assert.Contains(headers, h => h.Path == "empty" && h.Kind == TarEntryKind.Directory);
        Assert.Contains(headers, h => h.Path == "abs-link" && h.LinkTarget == "/etc/hostname");
        Assert.Contains(headers, h => h.Path.Length >= 295);
        Assert.Equal(0b1_111_111_111, headers.Single(h => h.Path == "shared").Mode);
        Assert.All(headers, h => Assert.False(h.Path.StartsWith("./") || h.Path.EndsWith('/')));
    }

    [Fact]
    public void Headers_keep_sub_second_mtime_mode_and_size()
    {
        var archive = new MemoryStream();
        using (var tar = new TarWriter(archive))
        {
            tar.WriteBytes("meta.json", "{\"a\":1}"u8, 0b110_000_000, TarTestSupport.SubSecond);
            tar.WriteDirectory("data/dir/", 0b111_101_101, TarTestSupport.SubSecond.AddTicks(1));
            tar.WriteSymlink("data/link", "../" + new string('x', 150), 0b111_111_111, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
            tar.Finish();
        }
        archive.Position = 0;
        var reader = new TarReader(archive);
        var meta = reader.Next()!;
        Assert.Equal(new TarEntryHeader("meta.json", TarEntryKind.File, 0b110_000_000, TarTestSupport.SubSecond, 7), meta.Header);
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(meta.ReadAllBytes()));
        var dir = reader.Next()!;
        Assert.Equal(new TarEntryHeader("data/dir", TarEntryKind.Directory, 0b111_101_101, TarTestSupport.SubSecond.AddTicks(1), 0), dir.Header);
        var link = reader.Next()!;
        Assert.Equal("../" + new string('x', 150), link.Header.LinkTarget);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), link.Header.ModifiedAt);
        Assert.Null(reader.Next());
        Assert.Null(reader.Next());
    }

    [Fact]
    public void Entries_whose_data_is_not_read_are_skipped()
    {
        using var tmp = new TempDir();
        var big = Path.Combine(tmp.Path, "big.bin");
        TarTestSupport.WriteRandom(big, 2 * 1024 * 1024 + 3, 7);
        var archive = new MemoryStream();
        using (var tar = new TarWriter(archive))
        {
            tar.WriteFile("big.bin", big, 0b110_100_100, DateTimeOffset.UnixEpoch);
            tar.WriteBytes("after.txt", "after"u8.ToArray(), 0b110_100_100, DateTimeOffset.UnixEpoch);
            tar.Finish();
        }
        archive.Position = 0;
        var reader = new TarReader(new ForwardOnlyStream(archive));
        Assert.Equal(2 * 1024 * 1024 + 3, reader.Next()!.Header.Size);
        var after = reader.Next()!;
        Assert.Equal("after", Encoding.UTF8.GetString(after.ReadAllBytes()));
        Assert.Throws<InvalidOperationException>(() => after.ReadAllBytes());
        Assert.Null(reader.Next());
    }

    [Fact]
    public void Archive_is_whole_blocks_ending_with_two_zero_blocks()
    {
        var archive = new MemoryStream();
        using (var tar = new TarWriter(archive))
        {
            tar.WriteBytes("a", new byte[700], 0b110_100_100, DateTimeOffset.UnixEpoch);
            tar.Finish();
        }
        var bytes = archive.ToArray();
        Assert.Equal(512 + 1024 + 1024, bytes.Length);
        Assert.True(bytes.AsSpan(bytes.Length - 1024).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Sizes_of_8_GiB_and_more_use_a_pax_size_record()
    {
        // The writer pads a file that is shorter than announced, so a 1-byte file announced as 8 GiB + 1 yields a
        // full-size entry without a big file on disk; the sink keeps only the start (the headers).
        using var tmp = new TempDir();
        var file = Path.Combine(tmp.Path, "short");
        File.WriteAllBytes(file, [1]);
        var size = 8L * 1024 * 1024 * 1024 + 1;
        var sink = new PrefixSink(4096);
        var warnings = new List<string>();
        using (var tar = new TarWriter(sink) { Warn = warnings.Add })
        {
            tar.WriteFile("huge", file, size, 0b110_100_100, DateTimeOffset.UnixEpoch);
            tar.Finish();
        }
        Assert.Equal(1024 + 512 + size + 511 + 1024, sink.Total);
        Assert.Single(warnings);
        var entry = new TarReader(new PrefixThenZeros(sink.Prefix)).Next()!;
        Assert.Equal(new TarEntryHeader("huge", TarEntryKind.File, 0b110_100_100, DateTimeOffset.UnixEpoch, size), entry.Header);
    }

    private sealed class PrefixSink(int keep) : Stream
    {
        private readonly MemoryStream _prefix = new();
        public long Total { get; private set; }
        public byte[] Prefix => _prefix.ToArray();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var room = (int)Math.Max(0, keep - _prefix.Length);
            if (room > 0) _prefix.Write(buffer[..Math.Min(room, buffer.Length)]);
            Total += buffer.Length;
        }
    }

    private sealed class PrefixThenZeros(byte[] prefix) : ReadOnlyForwardStream
    {
        private long _position;
        public override int Read(Span<byte> buffer)
        {
            for (var i = 0; i < buffer.Length; i++, _position++) buffer[i] = _position < prefix.Length ? prefix[_position] : (byte)0;
            return buffer.Length;
        }
    }
}
