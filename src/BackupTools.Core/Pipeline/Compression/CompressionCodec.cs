using System.IO.Compression;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace BackupTools.Core.Pipeline.Compression;

/// <summary>Wraps streams in the chosen codec. Output streams must be disposed to flush the final frame.</summary>
public static class CompressionCodec
{
    /// <summary>zstd worker threads: compression overlaps reading and hashing on machines with more than one core.</summary>
    private static int Workers => Environment.ProcessorCount > 1 ? Math.Min(Environment.ProcessorCount, 8) : 0;

    /// <summary>Tests set this to prove the managed fallback writes the same format.</summary>
    public static bool ForceManagedZstd { get; set; }

    /// <param name="singleThreaded">No zstd worker threads: for small independent inputs (a 1 MiB chunk is one zstd job
    /// anyway), where a worker pool per stream would cost more than it overlaps.</param>
    public static Stream Compress(Stream inner, CompressionSettings settings, bool leaveOpen = false, bool singleThreaded = false)
    {
        var workers = singleThreaded ? 0 : Workers;
        switch (settings.Algorithm)
        {
            case CompressionAlgorithm.Zstd when NativeZstdCompressionStream.IsAvailable && !ForceManagedZstd:
                return new NativeZstdCompressionStream(inner, settings.EffectiveLevel, workers, leaveOpen);
            case CompressionAlgorithm.Zstd:
                var zstd = new CompressionStream(inner, settings.EffectiveLevel, bufferSize: 1 << 20, leaveOpen: leaveOpen);
                // zstd's own worker threads overlap compression with our reading/encryption.
                if (workers > 0) zstd.SetParameter(ZSTD_cParameter.ZSTD_c_nbWorkers, workers);
                zstd.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
                return zstd;
            case CompressionAlgorithm.Gzip:
                var level = settings.EffectiveLevel switch
                {
                    <= 3 => CompressionLevel.Fastest,
                    >= 8 => CompressionLevel.SmallestSize,
                    _ => CompressionLevel.Optimal,
                };
                return new GZipStream(inner, level, leaveOpen);
            default:
                return leaveOpen ? new NonClosingStream(inner) : inner;
        }
    }

    public static Stream Decompress(Stream inner, CompressionAlgorithm algorithm, bool leaveOpen = false) => algorithm switch
    {
        CompressionAlgorithm.Zstd => new DecompressionStream(inner, bufferSize: 1 << 20, checkEndOfStream: true, leaveOpen: leaveOpen),
        CompressionAlgorithm.Gzip => new GZipStream(inner, CompressionMode.Decompress, leaveOpen),
        _ => leaveOpen ? new NonClosingStream(inner) : inner,
    };
}
