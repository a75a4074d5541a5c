using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.Tests.Pipeline;

[Collection("compression-codec")]
public sealed class CompressionCodecTests
{
    private static byte[] Sample()
    {
        var random = new Random(3);
        var text = string.Join('\n', Enumerable.Range(0, 60_000).Select(i => $"row {i} {random.Next()} {Convert.ToBase64String(BitConverter.GetBytes(random.NextDouble()))}"));
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var noise = new byte[2 * 1024 * 1024];
        random.NextBytes(noise);
        return [.. bytes, .. noise];
    }

    private static byte[] RoundTrip(byte[] input, CompressionSettings settings, int chunk)
    {
        using var compressed = new MemoryStream();
        using (var stream = CompressionCodec.Compress(compressed, settings, leaveOpen: true))
            for (var i = 0; i < input.Length; i += chunk) stream.Write(input, i, Math.Min(chunk, input.Length - i));
        Assert.True(compressed.Length < input.Length || settings.Algorithm == CompressionAlgorithm.None);
        compressed.Position = 0;
        using var output = new MemoryStream();
        using (var stream = CompressionCodec.Decompress(compressed, settings.Algorithm)) stream.CopyTo(output);
        return output.ToArray();
    }

    [Theory]
    [InlineData(CompressionAlgorithm.Zstd, 1, false)]
    [InlineData(CompressionAlgorithm.Zstd, 3, true)]
    [InlineData(CompressionAlgorithm.Gzip, 6, false)]
    [InlineData(CompressionAlgorithm.None, null, false)]
    public void Every_codec_round_trips_whatever_the_write_sizes(CompressionAlgorithm algorithm, int? level, bool managed)
    {
        var input = Sample();
        CompressionCodec.ForceManagedZstd = managed;
        try
        {
            foreach (var chunk in new[] { 1, 4093, 1 << 20 })
            {
                var part = chunk == 1 ? input[..100_000] : input; // byte-by-byte writes on a smaller sample
                Assert.Equal(part, RoundTrip(part, new CompressionSettings(algorithm, level), chunk));
            }
        }
        finally
        {
            CompressionCodec.ForceManagedZstd = false;
        }
    }

    [Theory]
    [InlineData(CompressionAlgorithm.Zstd, 1, false)]
    [InlineData(CompressionAlgorithm.Zstd, 3, true)]
    [InlineData(CompressionAlgorithm.Gzip, 6, false)]
    [InlineData(CompressionAlgorithm.None, null, false)]
    public void The_chunk_compressor_reuses_its_context_and_each_output_is_a_frame_of_its_own(CompressionAlgorithm algorithm, int? level, bool managed)
    {
        var input = Sample();
        CompressionCodec.ForceManagedZstd = managed;
        try
        {
            using var compressor = new ChunkCompressor(new CompressionSettings(algorithm, level));
            // Different chunks one after another through one compressor (a pack's blobs), the big one last: the buffer grows.
            foreach (var (start, length) in new[] { (0, 1), (5, 70_000), (100, 1 << 20), (0, input.Length) })
            {
                var chunk = input.AsSpan(start, length).ToArray();
                var frame = compressor.Compress(chunk).ToArray();
                using var output = new MemoryStream();
                using (var stream = CompressionCodec.Decompress(new MemoryStream(frame), algorithm)) stream.CopyTo(output);
                Assert.Equal(chunk, output.ToArray());
            }
        }
        finally
        {
            CompressionCodec.ForceManagedZstd = false;
        }
    }

    [Fact]
    public void Native_and_managed_zstd_write_frames_the_zstd_tool_reads()
    {
        var input = Sample();
        foreach (var managed in new[] { false, true })
        {
            CompressionCodec.ForceManagedZstd = managed;
            var path = Path.Combine(Path.GetTempPath(), $"bt-codec-{Guid.NewGuid():N}.zst");
            try
            {
                using (var file = File.Create(path))
                using (var stream = CompressionCodec.Compress(file, new CompressionSettings(CompressionAlgorithm.Zstd, 1)))
                    stream.Write(input);
                var psi = new System.Diagnostics.ProcessStartInfo("zstd", ["-d", "-c", "-q", path]) { RedirectStandardOutput = true };
                using var zstd = System.Diagnostics.Process.Start(psi)!;
                using var output = new MemoryStream();
                zstd.StandardOutput.BaseStream.CopyTo(output);
                zstd.WaitForExit();
                Assert.Equal(0, zstd.ExitCode);
                Assert.Equal(input, output.ToArray());
            }
            finally
            {
                CompressionCodec.ForceManagedZstd = false;
                File.Delete(path);
            }
        }
    }

    [Fact]
    public void Level_out_of_range_is_refused_with_the_parameter_named()
    {
        var error = Assert.Throws<BackupTools.Core.Errors.BackupInputException>(() => CompressionSettings.Parse("zstd", 40));
        Assert.Equal("CompressionLevel", error.Parameter);
        Assert.Throws<BackupTools.Core.Errors.BackupInputException>(() => CompressionSettings.Parse("lz9", null));
    }

    [Fact]
    public void A_level_without_a_compression_is_refused_not_ignored()
    {
        Assert.Null(CompressionSettings.ParseOptional(null, null));
        Assert.Equal(new CompressionSettings(CompressionAlgorithm.Gzip, 9), CompressionSettings.ParseOptional("gzip", 9));
        var error = Assert.Throws<BackupTools.Core.Errors.BackupInputException>(() => CompressionSettings.ParseOptional(null, 19));
        Assert.Equal(("CompressionLevelWithoutCompression", "CompressionLevel"), (error.ErrorId, error.Parameter));
    }
}
