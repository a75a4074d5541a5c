using System.Diagnostics;
using System.Security.Cryptography;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Repository.Chunked;

if (args[0] == "dedup")
{
    int K(string s) => int.Parse(s) * 1024;
    Dedup.Run(K(args[1]), K(args[2]), K(args[3]), int.Parse(args[4]), int.Parse(args[5]), args[6..]);
    return;
}
var data = File.ReadAllBytes(args[0]);
var secret = new byte[32];
double gb = data.Length / 1e9;
void Report(string name, Action a)
{
    a(); // warm
    var proc = Process.GetCurrentProcess();
    var cpu0 = proc.TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    a();
    sw.Stop();
    proc.Refresh();
    var cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
    Console.WriteLine($"{name,-40} {sw.Elapsed.TotalSeconds / gb,7:F3} s/GB wall  {cpu / gb,7:F3} cpu-s/GB  {gb / sw.Elapsed.TotalSeconds,7:F2} GB/s");
}
Report("SHA-256 whole (IncrementalHash, 1MiB)", () =>
{
    using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    for (var o = 0; o < data.Length; o += 1 << 20) h.AppendData(data.AsSpan(o, Math.Min(1 << 20, data.Length - o)));
    h.GetHashAndReset();
});
Report("HMAC-SHA256 per 1MiB (ChunkHasher)", () =>
{
    using var h = new ChunkHasher(secret);
    for (var o = 0; o < data.Length; o += 1 << 20) h.IdOf(data.AsSpan(o, Math.Min(1 << 20, data.Length - o)));
});
Report("SHA256.HashData per 1MiB", () =>
{
    Span<byte> d = stackalloc byte[32];
    for (var o = 0; o < data.Length; o += 1 << 20) SHA256.HashData(data.AsSpan(o, Math.Min(1 << 20, data.Length - o)), d);
});
var chunks = new List<(int, int)>();
Report("chunker FindCut (no copies)", () =>
{
    chunks.Clear();
    var c = new ContentDefinedChunker(secret, ChunkerParameters.FirstRelease);
    var at = 0;
    while (at < data.Length)
    {
        var cut = c.FindCut(data.AsSpan(at));
        if (cut == 0) { cut = data.Length - at; c.Reset(); }
        chunks.Add((at, cut));
        at += cut;
    }
});
Console.WriteLine($"  {chunks.Count} chunks, avg {data.Length / chunks.Count} bytes");
var reference = new List<(int, int)>();
Report("reference loop (the release's FindCut)", () =>
{
    reference.Clear();
    var at = 0;
    while (at < data.Length)
    {
        var cut = Dedup.ReferenceCut(data.AsSpan(at, Math.Min(ChunkerParameters.FirstRelease.MaxSize, data.Length - at)), secret);
        reference.Add((at, cut));
        at += cut;
    }
});
Console.WriteLine(reference.SequenceEqual(chunks) ? "  same cut points" : "  CUT POINTS DIFFER");
Report("ChunkingStream, 1MiB writes, null consumer", () =>
{
    using var s = new ChunkingStream(new ContentDefinedChunker(secret, ChunkerParameters.FirstRelease), new Null());
    for (var o = 0; o < data.Length; o += 1 << 20) s.Write(data.AsSpan(o, Math.Min(1 << 20, data.Length - o)));
});
Report("zstd-1 per chunk (single-threaded)", () =>
{
    foreach (var (o, n) in chunks)
    {
        using var z = CompressionCodec.Compress(Stream.Null, CompressionSettings.Default, leaveOpen: true, singleThreaded: true);
        z.Write(data.AsSpan(o, n));
    }
});
Report("zstd-1 per chunk, one reused context", () =>
{
    var ctx = Zstd.ZSTD_createCCtx();
    Zstd.ZSTD_CCtx_setParameter(ctx, 100, 1);
    Zstd.ZSTD_CCtx_setParameter(ctx, 201, 1);
    var dst = new byte[(int)Zstd.ZSTD_compressBound(16 << 20)];
    foreach (var (o, n) in chunks)
    {
        unsafe
        {
            fixed (byte* s = &data[o]) fixed (byte* d = dst) Zstd.ZSTD_compress2(ctx, d, (nuint)dst.Length, s, (nuint)n);
        }
    }
});
Report("AES-GCM segmented per chunk", () =>
{
    var key = new byte[32];
    foreach (var (o, n) in chunks)
    {
        using var e = new SegmentedEncryptStream(Stream.Null, key, "k-x", 65536, leaveOpen: true);
        e.Write(data.AsSpan(o, n));
    }
});
sealed class Null : IChunkConsumer { public void Accept(ReadOnlySpan<byte> chunk) { } }
