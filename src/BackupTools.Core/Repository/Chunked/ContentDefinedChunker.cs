using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// FastCDC-style content-defined chunking with a gear rolling hash (h = (h &lt;&lt; 1) + gear[byte]) and normalized
/// cut masks: before the average size a cut needs AverageBits+2 zero bits, after it AverageBits-2, so sizes cluster
/// around the average; no cut before MinSize, a forced cut at MaxSize. The mask tests the hash's top bits, which
/// depend on the last 64 bytes only — an insertion moves the cut points next to it, the ones after it stay.
/// An object's first chunk may have smaller limits of its own (<see cref="ChunkerParameters.FirstChunk"/>), so a
/// header that changes every time costs little. The gear table is derived from the repository's chunk secret, so cut
/// points (chunk sizes) do not fingerprint known content either. Scanning resumes where it stopped, so data may
/// arrive in any write sizes. One chunker cuts one object.
/// </summary>
public sealed class ContentDefinedChunker
{
    private readonly ulong[] _gear;
    private readonly ChunkerParameters _parameters;
    private readonly Limits _first;
    private readonly Limits _rest;
    private bool _pastFirstChunk;
    private int _scanned;
    private ulong _hash;

    /// <summary>One set of limits with its two cut masks.</summary>
    private sealed record Limits(int Min, int Average, int Max, ulong MaskBeforeAverage, ulong MaskAfterAverage)
    {
        public static Limits Of(ChunkerParameters p) => new(p.MinSize, p.AverageSize, p.MaxSize, TopBits(p.AverageBits + 2), TopBits(p.AverageBits - 2));
    }

    public ContentDefinedChunker(ReadOnlySpan<byte> secret, ChunkerParameters parameters)
    {
        parameters.Validate();
        _parameters = parameters;
        _gear = GearTable(secret);
        _rest = Limits.Of(parameters);
        _first = parameters.FirstChunk is { } first ? Limits.Of(first) : _rest;
    }

    public ChunkerParameters Parameters => _parameters;

    /// <summary>gear[i] = first 8 bytes (big-endian) of HMAC-SHA256(secret, "BackupTools gear v1" ‖ i).</summary>
    public static ulong[] GearTable(ReadOnlySpan<byte> secret)
    {
        var table = new ulong[256];
        var label = Encoding.ASCII.GetBytes("BackupTools gear v1");
        var message = new byte[label.Length + 1];
        label.CopyTo(message, 0);
        for (var i = 0; i < 256; i++)
        {
            message[^1] = (byte)i;
            table[i] = BinaryPrimitives.ReadUInt64BigEndian(HMACSHA256.HashData(secret, message));
        }
        return table;
    }

    private static ulong TopBits(int count) => ulong.MaxValue << (64 - count);

    /// <summary>
    /// Looks for the end of the chunk that starts at pending[0]; pending holds everything received since that start
    /// (the same bytes again plus new ones on the next call). Returns the chunk's length, or 0 when more data is needed.
    /// At the end of the stream the caller takes whatever is left as the last chunk (<see cref="Reset"/> after each cut).
    /// </summary>
    public int FindCut(ReadOnlySpan<byte> pending) => FindCut(pending, 0);

    /// <summary>
    /// As <see cref="FindCut(ReadOnlySpan{byte})"/> when the caller keeps only the chunk's new bytes: <paramref name="more"/>
    /// holds the chunk's bytes from position <paramref name="before"/> on, and the bytes before it were all given to
    /// earlier calls since the last cut (the scan never looks back, its state carries them). Returns the chunk's whole
    /// length (&gt; before), or 0 when more data is needed. Cuts exactly where FindCut does, whatever the split.
    /// </summary>
    public int FindCut(ReadOnlySpan<byte> more, int before)
    {
        var limits = _pastFirstChunk ? _rest : _first;
        var limit = Math.Min(before + more.Length, limits.Max);
        var i = Math.Max(Math.Max(_scanned, limits.Min), before);
        var hash = _hash;
        var normal = Math.Min(limits.Average, limit);
        if (i < normal)
        {
            var cut = Scan(more, ref i, normal, before, ref hash, limits.MaskBeforeAverage);
            if (cut) return Cut(i);
        }
        if (i < limit)
        {
            var cut = Scan(more, ref i, limit, before, ref hash, limits.MaskAfterAverage);
            if (cut) return Cut(i);
        }
        if (limit == limits.Max) return Cut(limit);
        _scanned = Math.Max(i, _scanned);
        _hash = hash;
        return 0;
    }

    /// <summary>
    /// The hot loop: rolls the chunk's bytes [i, end) into the hash and stops after the first byte whose hash has no
    /// bit of mask set (i is then the chunk's length). data holds the chunk's bytes from position before on. Unchecked
    /// reads: before ≤ i &lt; end ≤ before + data.Length and every byte indexes the 256-entry table, both guaranteed by
    /// the caller and the byte type.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Scan(ReadOnlySpan<byte> data, ref int i, int end, int before, ref ulong hash, ulong mask)
    {
        ref var bytes = ref MemoryMarshal.GetReference(data);
        ref var gear = ref MemoryMarshal.GetArrayDataReference(_gear);
        var h = hash;
        var at = (nint)(i - before);
        var stop = (nint)(end - before);
        // Four bytes per round with one test per byte: the add chain is the critical path, the tests branch rarely.
        for (; at + 4 <= stop; at += 4)
        {
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, at));
            if ((h & mask) == 0) return Found(ref i, before + at + 1, ref hash, h);
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, at + 1));
            if ((h & mask) == 0) return Found(ref i, before + at + 2, ref hash, h);
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, at + 2));
            if ((h & mask) == 0) return Found(ref i, before + at + 3, ref hash, h);
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, at + 3));
            if ((h & mask) == 0) return Found(ref i, before + at + 4, ref hash, h);
        }
        for (; at < stop; at++)
        {
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref bytes, at));
            if ((h & mask) == 0) return Found(ref i, before + at + 1, ref hash, h);
        }
        i = before + (int)at;
        hash = h;
        return false;
    }

    private static bool Found(ref int i, nint length, ref ulong hash, ulong h)
    {
        i = (int)length;
        hash = h;
        return true;
    }

    private int Cut(int length)
    {
        Reset();
        _pastFirstChunk = true;
        return length;
    }

    /// <summary>Forgets the scan state: the next call starts a new chunk.</summary>
    public void Reset()
    {
        _scanned = 0;
        _hash = 0;
    }
}
