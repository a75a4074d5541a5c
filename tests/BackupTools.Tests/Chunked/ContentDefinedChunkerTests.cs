using BackupTools.Core.Repository.Chunked;

namespace BackupTools.Tests.Chunked;

public sealed class ContentDefinedChunkerTests
{
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly ChunkerParameters Small = new(2 * 1024, 8 * 1024, 64 * 1024);

    private sealed class Collector(byte[] secret) : IChunkConsumer
    {
        private readonly ChunkHasher _hasher = new(secret);
        public readonly List<(ChunkId Id, int Length)> Chunks = new();
        public readonly MemoryStream Joined = new();
        public void Accept(ReadOnlySpan<byte> chunk)
        {
            Chunks.Add((_hasher.IdOf(chunk), chunk.Length));
            Joined.Write(chunk);
        }
    }

    private static Collector Chunk(byte[] data, ChunkerParameters parameters, byte[]? secret = null, int writeSize = 65536)
    {
        secret ??= Secret;
        var collector = new Collector(secret);
        using (var stream = new ChunkingStream(new ContentDefinedChunker(secret, parameters), collector))
        {
            for (var offset = 0; offset < data.Length; offset += writeSize)
                stream.Write(data, offset, Math.Min(writeSize, data.Length - offset));
        }
        return collector;
    }

    private static byte[] RandomData(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public void Chunks_join_back_to_the_input_and_respect_min_and_max()
    {
        var data = RandomData(3 * 1024 * 1024 + 17, 1);
        var result = Chunk(data, Small);
        Assert.Equal(data, result.Joined.ToArray());
        Assert.All(result.Chunks.SkipLast(1), c => Assert.InRange(c.Length, Small.MinSize, Small.MaxSize));
        Assert.InRange(result.Chunks[^1].Length, 1, Small.MaxSize);
        var average = data.Length / (double)result.Chunks.Count;
        Assert.InRange(average, Small.AverageSize / 2.0, Small.AverageSize * 2.0);
    }

    [Fact]
    public void Data_without_cut_points_is_cut_at_max_size()
    {
        var zeros = new byte[Small.MaxSize * 3 + 5]; // the gear hash of a constant run never reaches a zero top
        var result = Chunk(zeros, Small);
        Assert.Equal([Small.MaxSize, Small.MaxSize, Small.MaxSize, 5], result.Chunks.Select(c => c.Length));
    }

    [Fact]
    public void Same_data_gives_same_ids_whatever_the_write_sizes()
    {
        var data = RandomData(2 * 1024 * 1024, 2);
        var big = Chunk(data, Small, writeSize: 1 << 20);
        var tiny = Chunk(data, Small, writeSize: 1000);
        Assert.Equal(big.Chunks, tiny.Chunks);
    }

    [Fact]
    public void An_insert_near_the_start_leaves_most_chunk_ids_unchanged()
    {
        var data = RandomData(4 * 1024 * 1024, 3);
        var edited = new byte[data.Length + 100];
        data.AsSpan(0, 5000).CopyTo(edited);
        RandomData(100, 4).CopyTo(edited, 5000);
        data.AsSpan(5000).CopyTo(edited.AsSpan(5100));
        var before = Chunk(data, Small).Chunks.Select(c => c.Id).ToHashSet();
        var after = Chunk(edited, Small).Chunks.Select(c => c.Id).ToList();
        var changed = after.Count(id => !before.Contains(id));
        Assert.True(after.Count > 100, $"{after.Count} chunks");
        Assert.InRange(changed, 1, 3);
    }

    [Fact]
    public void A_different_secret_gives_different_ids_and_cut_points()
    {
        var data = RandomData(2 * 1024 * 1024, 5);
        var other = Enumerable.Repeat((byte)7, 32).ToArray();
        var first = Chunk(data, Small);
        var second = Chunk(data, Small, other);
        Assert.Empty(first.Chunks.Select(c => c.Id).Intersect(second.Chunks.Select(c => c.Id)));
        Assert.NotEqual(first.Chunks.Select(c => c.Length), second.Chunks.Select(c => c.Length));
    }

    [Theory]
    [InlineData(false, 256 * 1024, 4 * 1024 * 1024, 400_000, 900_000)] // new repositories: 512 KiB average
    [InlineData(true, 512 * 1024, 8 * 1024 * 1024, 700_000, 1_600_000)] // the first release's repositories: 1 MiB
    public void Default_parameters_average_what_they_say(bool firstRelease, int min, int max, int lowAverage, int highAverage)
    {
        var parameters = firstRelease ? ChunkerParameters.FirstRelease : ChunkerParameters.ForNewRepository();
        var data = RandomData(48 * 1024 * 1024, 6);
        var result = Chunk(data, parameters);
        Assert.All(result.Chunks.Skip(1).SkipLast(1), c => Assert.InRange(c.Length, min, max));
        Assert.InRange(data.Length / (double)result.Chunks.Count, lowAverage, highAverage);
    }

    private static readonly ChunkerParameters SmallWithFirst = Small with { FirstChunk = new(256, 1024, 4096) };

    [Fact]
    public void The_first_chunk_has_its_own_smaller_limits_so_a_changed_header_costs_only_it()
    {
        var data = RandomData(2 * 1024 * 1024, 9);
        var edited = (byte[])data.Clone();
        edited[10] ^= 0xff; // a dump header's timestamp
        var before = Chunk(data, SmallWithFirst).Chunks;
        var after = Chunk(edited, SmallWithFirst).Chunks;
        Assert.InRange(after[0].Length, 256, 4096);
        Assert.All(after.Skip(1).SkipLast(1), c => Assert.InRange(c.Length, Small.MinSize, Small.MaxSize));
        Assert.Equal(before.Select(c => c.Length), after.Select(c => c.Length));
        Assert.Equal(1, after.Zip(before).Count(pair => pair.First.Id != pair.Second.Id));
        // Without the rule the changed chunk is a whole regular one.
        Assert.True(Chunk(edited, Small).Chunks[0].Length >= Small.MinSize);
    }

    [Theory]
    [InlineData(1, 200_000)]
    [InlineData(7, 1_500_000)]
    [InlineData(4096, 3_000_000)]
    [InlineData(65537, 3_000_000)]
    public void Cut_points_do_not_depend_on_write_sizes_with_a_first_chunk_rule_either(int writeSize, int length)
    {
        var data = RandomData(length, 10);
        Assert.Equal(Chunk(data, SmallWithFirst, writeSize: data.Length).Chunks, Chunk(data, SmallWithFirst, writeSize: writeSize).Chunks);
    }

    /// <summary>The straightforward loop the unrolled one must match cut for cut (a fixed cut rule keeps old chunks deduplicating).</summary>
    private static List<int> ReferenceCuts(byte[] data, ChunkerParameters parameters, byte[] secret)
    {
        var gear = ContentDefinedChunker.GearTable(secret);
        var cuts = new List<int>();
        var at = 0;
        var first = true;
        while (at < data.Length)
        {
            var p = first && parameters.FirstChunk is { } f ? f : parameters;
            first = false;
            var length = Math.Min(p.MaxSize, data.Length - at);
            ulong small = ulong.MaxValue << (64 - (p.AverageBits + 2)), large = ulong.MaxValue << (64 - (p.AverageBits - 2)), h = 0;
            var cut = length;
            for (var i = p.MinSize; i < length; i++)
            {
                h = (h << 1) + gear[data[at + i]];
                if ((h & (i < p.AverageSize ? small : large)) == 0) { cut = i + 1; break; }
            }
            cuts.Add(cut);
            at += cut;
        }
        return cuts;
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public void The_unrolled_scan_cuts_exactly_where_the_plain_gear_loop_does(int seed, bool firstChunkRule)
    {
        var data = RandomData(6 * 1024 * 1024 + seed, seed);
        for (var i = 0; i < data.Length / 3; i++) data[i] = (byte)('a' + i % 23); // text-like stretch with few cut points
        var parameters = firstChunkRule ? SmallWithFirst : Small;
        var secret = RandomData(32, 100 + seed);
        Assert.Equal(ReferenceCuts(data, parameters, secret), Chunk(data, parameters, secret, writeSize: 12_345).Chunks.Select(c => c.Length));
    }

    /// <summary>Takes over each chunk's buffer and keeps it until the end, as the store worker may.</summary>
    private sealed class Taker : IChunkBufferConsumer
    {
        public readonly List<(byte[] Buffer, int Length)> Taken = new();
        public void Take(byte[] rented, int length) => Taken.Add((rented, length));
        public void Accept(ReadOnlySpan<byte> chunk) => throw new InvalidOperationException("a buffer consumer is handed buffers");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(12_345)]
    [InlineData(5 * 1024 * 1024)] // one write holding many chunks, longer than the largest
    public void A_buffer_consumer_gets_the_same_chunks_in_buffers_no_later_write_overwrites(int writeSize)
    {
        var data = RandomData(3 * 1024 * 1024 + 17, 21);
        for (var i = 0; i < data.Length / 4; i++) data[i] = (byte)('a' + i % 19); // a stretch with few cut points
        var taker = new Taker();
        using (var stream = new ChunkingStream(new ContentDefinedChunker(Secret, SmallWithFirst), taker))
        {
            for (var offset = 0; offset < data.Length; offset += writeSize)
                stream.Write(data, offset, Math.Min(writeSize, data.Length - offset));
        }
        Assert.Equal(ReferenceCuts(data, SmallWithFirst, Secret), taker.Taken.Select(t => t.Length));
        Assert.Equal(taker.Taken.Count, taker.Taken.Select(t => t.Buffer).Distinct().Count());
        Assert.Equal(data, taker.Taken.SelectMany(t => t.Buffer.Take(t.Length)).ToArray()); // read after all writes: nothing reused
    }

    [Fact]
    public void Chunk_id_round_trips_through_hex()
    {
        using var hasher = new ChunkHasher(Secret);
        var id = hasher.IdOf("hello"u8);
        Assert.Equal(id, ChunkId.Parse(id.ToString()));
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.HMACSHA256.HashData(Secret, "hello"u8)).ToLowerInvariant(), id.ToString());
    }

    [Fact]
    public void Invalid_parameters_are_refused()
    {
        Assert.ThrowsAny<Exception>(() => new ContentDefinedChunker(Secret, new ChunkerParameters(1024, 3000, 8192)));
        Assert.ThrowsAny<Exception>(() => new ContentDefinedChunker(Secret, new ChunkerParameters(8192, 4096, 65536)));
        Assert.ThrowsAny<Exception>(() => new ContentDefinedChunker(Secret, Small with { FirstChunk = new(32, 1024, 4096) }));
    }
}
