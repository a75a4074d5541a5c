using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>
/// An entry being read. Its data can be consumed once (CopyDataTo, ReadAllBytes or ExtractTo) and only
/// until the reader moves on; TarReader.Next skips whatever was not consumed.
/// </summary>
public sealed class TarEntry
{
    private const int MaxInMemory = 64 * 1024 * 1024;
    private static readonly byte[] ZeroChunk = new byte[256 * 1024];
    private readonly Stream _input;
    private readonly Func<byte[]> _buffer;
    private long _remaining;
    private long _padding;
    private bool _consumed;

    internal TarEntry(TarEntryHeader header, Stream input, long dataBytes, long padding, Func<byte[]> buffer)
    {
        Header = header;
        _input = input;
        _remaining = dataBytes;
        _padding = padding;
        _buffer = buffer;
    }

    public TarEntryHeader Header { get; }

    /// <summary>Writes the entry's content; a sparse entry is expanded with zeros in its holes.</summary>
    public void CopyDataTo(Stream destination)
    {
        BeginConsume();
        if (Header.Sparse is not { } regions)
        {
            CopyStored(destination, _remaining);
        }
        else
        {
            long position = 0;
            foreach (var region in regions)
            {
                WriteZeros(destination, region.Offset - position);
                CopyStored(destination, region.Length);
                position = region.Offset + region.Length;
            }
            WriteZeros(destination, Header.Size - position);
        }
        SkipRest();
    }

    /// <summary>For small entries such as meta.json; a larger one means the archive is not what it claims to be.</summary>
    public byte[] ReadAllBytes()
    {
        if (Header.Size > MaxInMemory)
            throw new BackupIntegrityException("TarEntryTooLarge", $"The archive entry '{Header.Path}' is {Header.Size} bytes, too large for an in-memory entry.");
        using var memory = new MemoryStream((int)Header.Size);
        CopyDataTo(memory);
        return memory.ToArray();
    }

    /// <summary>
    /// Writes the entry to a new file (the path must not exist: CreateNew never follows a link planted
    /// there). Sparse entries stay sparse: data is written at its offsets and the holes are left unwritten.
    /// </summary>
    public void ExtractTo(string filePath)
    {
        if (Header.Kind != TarEntryKind.File) throw new InvalidOperationException($"'{Header.Path}' is a {Header.Kind}, not a file.");
        BeginConsume();
        using (var file = BackupTools.Core.Posix.PosixFiles.CreateNew(filePath))
        {
            if (Header.Sparse is not { } regions)
            {
                CopyStored(file, _remaining);
            }
            else
            {
                foreach (var region in regions)
                {
                    file.Position = region.Offset;
                    CopyStored(file, region.Length);
                }
                file.SetLength(Header.Size);
            }
        }
        SkipRest();
    }

    /// <summary>Reads past what is left of the entry (data and block padding) so the next header can be read.</summary>
    internal void SkipRest()
    {
        _consumed = true;
        if (_remaining + _padding == 0) return;
        var buffer = _buffer();
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
        if (_consumed) throw new InvalidOperationException($"The data of '{Header.Path}' was already read or skipped.");
        _consumed = true;
    }

    private void CopyStored(Stream destination, long length)
    {
        if (length > _remaining) throw Truncated();
        var buffer = _buffer();
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

    private static void WriteZeros(Stream destination, long count)
    {
        while (count > 0)
        {
            var n = (int)Math.Min(ZeroChunk.Length, count);
            destination.Write(ZeroChunk, 0, n);
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
}
