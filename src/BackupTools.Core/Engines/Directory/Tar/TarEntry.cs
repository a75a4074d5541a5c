using System.Globalization;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>An entry being read. Its data can be consumed once: CopyDataTo, ReadAllBytes or ExtractTo.</summary>
public sealed class TarEntry
{
    private const int MaxInMemory = 64 * 1024 * 1024;
    private readonly Stream _input;
    private readonly bool _sparseFormat;
    private long _remaining;
    private long _padding;
    private bool _consumed;

    internal TarEntry(TarEntryHeader? header, Stream input, long storedSize, bool sparseFormat)
    {
        Header = header!;
        _input = input;
        _remaining = storedSize;
        _padding = (TarHeaderBlock.BlockSize - storedSize % TarHeaderBlock.BlockSize) % TarHeaderBlock.BlockSize;
        _sparseFormat = sparseFormat;
    }

    public TarEntryHeader Header { get; private set; }

    public void CopyDataTo(Stream destination)
    {
        BeginConsume();
        var regions = ReadSparseMap();
        var buffer = new byte[1 << 20];
        if (regions is null)
        {
            CopyStored(destination, _remaining, buffer);
        }
        else
        {
            long position = 0;
            foreach (var region in regions)
            {
                WriteZeros(destination, region.Offset - position, buffer);
                CopyStored(destination, region.Length, buffer);
                position = region.Offset + region.Length;
            }
            WriteZeros(destination, Header.Size - position, buffer);
        }
        SkipRest();
    }

    public byte[] ReadAllBytes()
    {
        if (Header.Size > MaxInMemory) throw new InvalidOperationException("entry too large to read into memory");
        using var memory = new MemoryStream((int)Header.Size);
        CopyDataTo(memory);
        return memory.ToArray();
    }

    /// <summary>Writes the entry to a new file; sparse entries stay sparse (data seeked into place, holes left unwritten).</summary>
    public void ExtractTo(string filePath)
    {
        BeginConsume();
        var regions = ReadSparseMap();
        var buffer = new byte[1 << 20];
        using (var file = new FileStream(filePath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
        {
            if (regions is null)
            {
                CopyStored(file, _remaining, buffer);
            }
            else
            {
                foreach (var region in regions)
                {
                    file.Position = region.Offset;
                    CopyStored(file, region.Length, buffer);
                }
                file.SetLength(Header.Size);
            }
        }
        SkipRest();
    }

    internal void SkipRest()
    {
        _consumed = true;
        var buffer = new byte[64 * 1024];
        while (_remaining + _padding > 0)
        {
            var want = (int)Math.Min(buffer.Length, _remaining + _padding);
            var n = ReadFully(_input, buffer.AsSpan(0, want));
            if (n != want) throw Truncated();
            var fromData = Math.Min(_remaining, n);
            _remaining -= fromData;
            _padding -= n - fromData;
        }
    }

    private void BeginConsume()
    {
        if (_consumed) throw new InvalidOperationException("the entry's data was already read");
        _consumed = true;
    }

    /// <summary>GNU sparse 1.0: the data area starts with decimal lines (count, then offset/length pairs), padded to a block.</summary>
    private List<SparseRegion>? ReadSparseMap()
    {
        if (!_sparseFormat) return null;
        var text = new StringBuilder();
        var numbers = new List<long>();
        long count = -1;
        long consumed = 0;
        var one = new byte[1];
        while (count < 0 || numbers.Count < 1 + 2 * count)
        {
            if (_remaining == 0) throw Malformed();
            if (ReadFully(_input, one) != 1) throw Truncated();
            _remaining--; consumed++;
            if (one[0] == (byte)'\n')
            {
                if (!long.TryParse(text.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)) throw Malformed();
                numbers.Add(value);
                text.Clear();
                if (numbers.Count == 1) { count = value; if (count > 1_000_000) throw Malformed(); }
            }
            else if (text.Length > 20) throw Malformed();
            else text.Append((char)one[0]);
        }
        var pad = (TarHeaderBlock.BlockSize - consumed % TarHeaderBlock.BlockSize) % TarHeaderBlock.BlockSize;
        var skip = new byte[pad];
        if (ReadFully(_input, skip) != pad) throw Truncated();
        _remaining -= pad;
        var regions = new List<SparseRegion>();
        for (var i = 0; i < count; i++) regions.Add(new SparseRegion(numbers[1 + 2 * i], numbers[2 + 2 * i]));
        if (regions.Sum(r => r.Length) != _remaining || regions.Any(r => r.Offset < 0 || r.Offset + r.Length > Header.Size)) throw Malformed();
        return regions;
    }

    private void CopyStored(Stream destination, long length, byte[] buffer)
    {
        while (length > 0)
        {
            var want = (int)Math.Min(buffer.Length, length);
            var n = ReadFully(_input, buffer.AsSpan(0, want));
            if (n != want) throw Truncated();
            destination.Write(buffer, 0, n);
            length -= n;
            _remaining -= n;
        }
    }

    private static void WriteZeros(Stream destination, long count, byte[] buffer)
    {
        if (count <= 0) return;
        Array.Clear(buffer);
        while (count > 0)
        {
            var n = (int)Math.Min(buffer.Length, count);
            destination.Write(buffer, 0, n);
            count -= n;
        }
    }

    internal static int ReadFully(Stream input, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = input.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    internal static BackupIntegrityException Truncated() =>
        new("TarTruncated", "The archive ends in the middle of an entry: it was cut short.");

    private static BackupIntegrityException Malformed() =>
        new("TarSparseMapMalformed", "A sparse file's map in the archive is malformed: the archive is damaged.");
}
