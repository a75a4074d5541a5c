using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// FastCDC-style content-defined chunking with a gear rolling hash (h = (h &lt;&lt; 1) + gear[byte]) and normalized
/// cut masks: before the average size a cut needs AverageBits+2 zero bits, after it AverageBits-2, so sizes cluster
/// around the average; no cut before MinSize, a forced cut at MaxSize. The mask tests the hash's top bits, which
/// depend on the last 64 bytes only — an insertion moves the cut points next to it, the ones after it stay.
/// The gear table is derived from the repository's chunk secret, so cut points (chunk sizes) do not fingerprint
/// known content either. Scanning resumes where it stopped, so data may arrive in any write sizes.
/// </summary>
public sealed class ContentDefinedChunker
{
    private readonly ulong[] _gear;
    private readonly ChunkerParameters _parameters;
    private readonly ulong _maskBeforeAverage;
    private readonly ulong _maskAfterAverage;
    private int _scanned;
    private ulong _hash;

    public ContentDefinedChunker(ReadOnlySpan<byte> secret, ChunkerParameters parameters)
    {
        parameters.Validate();
        _parameters = parameters;
        _gear = GearTable(secret);
        _maskBeforeAverage = TopBits(parameters.AverageBits + 2);
        _maskAfterAverage = TopBits(parameters.AverageBits - 2);
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
    public int FindCut(ReadOnlySpan<byte> pending)
    {
        var min = _parameters.MinSize;
        var average = _parameters.AverageSize;
        var limit = Math.Min(pending.Length, _parameters.MaxSize);
        var i = Math.Max(_scanned, min);
        var hash = _hash;
        var gear = _gear;
        var normal = Math.Min(average, limit);
        for (; i < normal; i++)
        {
            hash = (hash << 1) + gear[pending[i]];
            if ((hash & _maskBeforeAverage) == 0) return Cut(i + 1);
        }
        for (; i < limit; i++)
        {
            hash = (hash << 1) + gear[pending[i]];
            if ((hash & _maskAfterAverage) == 0) return Cut(i + 1);
        }
        if (limit == _parameters.MaxSize) return Cut(limit);
        _scanned = Math.Max(i, _scanned);
        _hash = hash;
        return 0;
    }

    private int Cut(int length)
    {
        Reset();
        return length;
    }

    /// <summary>Forgets the scan state: the next call starts a new chunk.</summary>
    public void Reset()
    {
        _scanned = 0;
        _hash = 0;
    }
}
