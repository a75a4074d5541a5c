using System.Security.Cryptography;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository.Chunked;

/// <summary>Offline dedup study: chunk a series of daily dump files with given parameters, report stored growth.</summary>
static class Dedup
{
    public static void Run(int min, int avg, int max, int firstMin, int seed, string[] files)
    {
        var secret = new byte[32];
        new Random(seed).NextBytes(secret);
        var gear = ContentDefinedChunker.GearTable(secret);
        var bits = System.Numerics.BitOperations.Log2((uint)avg);
        var maskS = ulong.MaxValue << (64 - (bits + 2));
        var maskL = ulong.MaxValue << (64 - (bits - 2));
        var f = firstMin; // divisor of the first chunk's limits (1 = same as the others)
        var fbits = System.Numerics.BitOperations.Log2((uint)(avg / f));
        var fmaskS = ulong.MaxValue << (64 - (fbits + 2));
        var fmaskL = ulong.MaxValue << (64 - (fbits - 2));
        var known = new HashSet<string>();
        long total = 0, first = 0, manifests = 0;
        var line = new List<string>();
        foreach (var file in files)
        {
            var data = File.ReadAllBytes(file);
            long added = 0, addedRaw = 0; int chunks = 0, fresh = 0;
            var at = 0;
            var isFirst = true;
            while (at < data.Length)
            {
                var span = data.AsSpan(at, Math.Min(isFirst ? max / f : max, data.Length - at));
                var cut = isFirst ? Cut(span, min / f, avg / f, max / f, gear, fmaskS, fmaskL) : Cut(span, min, avg, max, gear, maskS, maskL);
                isFirst = false;
                var chunk = span[..cut];
                chunks++;
                var id = Convert.ToHexString(SHA256.HashData(chunk));
                if (known.Add(id))
                {
                    fresh++;
                    if (Environment.GetEnvironmentVariable("VERBOSE") == "1") Console.WriteLine($"    {Path.GetFileName(file)} new chunk at {at} len {cut}");
                    addedRaw += cut;
                    var ms = new MemoryStream();
                    using (var z = CompressionCodec.Compress(ms, CompressionSettings.Default, leaveOpen: true, singleThreaded: true)) z.Write(chunk);
                    // blob: BTSEG header (~40) + 16-byte tag per 64 KiB segment; pack header entry 48; index JSON entry ~150
                    added += ms.Length + 40 + 16 * (ms.Length / 65536 + 1) + 48 + 150;
                }
                at += cut;
            }
            var manifest = chunks * 67L; // "<64 hex>", per chunk in the manifest
            manifests += manifest;
            total += added + manifest;
            if (first == 0) first = total;
            line.Add($"{Path.GetFileName(file)}: {chunks} chunks, {fresh} new ({addedRaw / 1e6:F2} MB raw, {(added + manifest) / 1e6:F2} MB stored)");
        }
        Console.WriteLine($"min {min / 1024}K avg {avg / 1024}K max {max / 1024}K first chunk limits / {f} seed {seed}: stored/first after {files.Length} = {total / (double)first:F4}  (first {first / 1e6:F1} MB, total {total / 1e6:F1} MB, manifests {manifests / 1e6:F2} MB)");
        foreach (var l in line.Skip(1)) Console.WriteLine("   " + l);
    }

    private static ulong[]? _gear;
    public static int ReferenceCut(ReadOnlySpan<byte> p, byte[] secret)
    {
        var r = ChunkerParameters.FirstRelease;
        _gear ??= ContentDefinedChunker.GearTable(secret);
        return Cut(p, r.MinSize, r.AverageSize, r.MaxSize, _gear, ulong.MaxValue << (64 - 22), ulong.MaxValue << (64 - 18));
    }

    private static int Cut(ReadOnlySpan<byte> p, int min, int avg, int max, ulong[] gear, ulong maskS, ulong maskL)
    {
        if (p.Length <= min) return p.Length;
        ulong h = 0;
        var normal = Math.Min(avg, p.Length);
        var i = min;
        for (; i < normal; i++) { h = (h << 1) + gear[p[i]]; if ((h & maskS) == 0) return i + 1; }
        for (; i < p.Length; i++) { h = (h << 1) + gear[p[i]]; if ((h & maskL) == 0) return i + 1; }
        return p.Length;
    }
}
