using System.Globalization;
using BackupTools.Core.Errors;
using BackupTools.Core.Posix;
using Microsoft.Win32.SafeHandles;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>
/// Streams a POSIX pax tar to a forward-only stream (never seeks, so it works over pipes, encryptors and
/// uploads of unknown length). Plain short ASCII entries get a bare ustar header; long or non-ASCII names,
/// sub-second mtimes, sizes ≥ 8 GiB and sparse files (GNU sparse 1.0) get a pax extended header first, the
/// way GNU tar writes them, so GNU tar and other pax readers can list and extract the archive.
/// Memory stays bounded: one 1 MiB copy buffer whatever the file sizes.
/// </summary>
public sealed class TarWriter : IDisposable
{
    private const int BufferSize = 1 << 20;
    private static readonly byte[] Zeros = new byte[TarHeaderBlock.BlockSize * 2];
    private readonly Stream _output;
    private readonly byte[] _block = new byte[TarHeaderBlock.BlockSize];
    private byte[]? _buffer;
    private int _sparseCounter;
    private bool _finished;

    public TarWriter(Stream output) => _output = output ?? throw new ArgumentNullException(nameof(output));

    /// <summary>Receives warnings, e.g. a file that changed size while it was read.</summary>
    public Action<string>? Warn { get; set; }

    public void WriteDirectory(string path, int mode, DateTimeOffset mtime) =>
        WriteHeader(path, mode, 0, mtime, TarHeaderBlock.TypeDirectory, "", null);

    public void WriteSymlink(string path, string target, int mode, DateTimeOffset mtime)
    {
        if (string.IsNullOrEmpty(target) || target.Contains('\0'))
            throw new BackupToolsException("TarEntryNameInvalid", FailureKind.InvalidData, $"Cannot archive the symlink '{path}': its target is empty or holds a NUL character.");
        WriteHeader(path, mode, 0, mtime, TarHeaderBlock.TypeSymlink, target, null);
    }

    /// <summary>A small in-memory file such as meta.json.</summary>
    public void WriteBytes(string path, ReadOnlySpan<byte> content, int mode, DateTimeOffset mtime)
    {
        WriteHeader(path, mode, content.Length, mtime, TarHeaderBlock.TypeFile, "", null);
        _output.Write(content);
        Pad(content.Length);
    }

    /// <summary>Streams a file whose size is taken when it is opened. Returns the bytes read from disk.</summary>
    public long WriteFile(string path, string sourceFile, int mode, DateTimeOffset mtime, Action<long>? bytesRead = null)
    {
        using var handle = OpenSource(sourceFile);
        return WriteFile(path, handle, sourceFile, RandomAccess.GetLength(handle), mode, mtime, bytesRead);
    }

    /// <summary>
    /// Streams a file as an entry of exactly <paramref name="size"/> bytes (the size the caller recorded in
    /// its index): a file that shrank meanwhile is padded with zeros, one that grew is cut, both with a
    /// warning, so the archive stays valid. Returns the bytes read from disk (holes are not read).
    /// </summary>
    public long WriteFile(string path, string sourceFile, long size, int mode, DateTimeOffset mtime, Action<long>? bytesRead = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        using var handle = OpenSource(sourceFile);
        return WriteFile(path, handle, sourceFile, size, mode, mtime, bytesRead);
    }

    /// <summary>Streams an already opened file (a handle that pins it even if it is renamed or deleted meanwhile) as exactly <paramref name="size"/> bytes.</summary>
    public long WriteFile(string path, SafeFileHandle file, long size, int mode, DateTimeOffset mtime) =>
        WriteFile(path, file, path, size, mode, mtime, null);

    /// <summary>Writes the end-of-archive marker (two zero blocks). Without it readers report the archive as cut short.</summary>
    public void Finish()
    {
        if (_finished) return;
        _output.Write(Zeros);
        _finished = true;
    }

    /// <summary>Does not finish the archive: an archive abandoned after an error must not look complete.</summary>
    public void Dispose() => _buffer = null;

    private static SafeFileHandle OpenSource(string sourceFile) => PosixFiles.OpenRead(sourceFile);

    private long WriteFile(string path, SafeFileHandle file, string sourceFile, long size, int mode, DateTimeOffset mtime, Action<long>? bytesRead)
    {
        var shrank = false;
        long read = 0;
        // Holes are only looked for when the file still has the announced size; otherwise the dense path
        // pads or cuts it to that size (and warns).
        var regions = RandomAccess.GetLength(file) == size ? SparseDetector.DataRegions(file, size) : null;
        if (regions is null)
        {
            WriteHeader(path, mode, size, mtime, TarHeaderBlock.TypeFile, "", null);
            read = CopyRange(file, 0, size, bytesRead, ref shrank);
            Pad(size);
        }
        else
        {
            var map = GnuSparseMap.Encode(regions, size);
            long dataBytes = 0;
            foreach (var r in regions) dataBytes += r.Length;
            var stored = map.Length + dataBytes;
            WriteHeader(SparsePlaceholderName(path), mode, stored, mtime, TarHeaderBlock.TypeFile, "", new()
            {
                ["GNU.sparse.major"] = "1",
                ["GNU.sparse.minor"] = "0",
                ["GNU.sparse.name"] = path,
                ["GNU.sparse.realsize"] = size.ToString(CultureInfo.InvariantCulture),
            });
            _output.Write(map);
            foreach (var region in regions) read += CopyRange(file, region.Offset, region.Length, bytesRead, ref shrank);
            Pad(stored);
        }
        if (shrank)
            Warn?.Invoke($"'{PosixNames.Display(sourceFile)}' shrank while it was being read; the missing part of its {size} bytes was stored as zeros.");
        else if (RandomAccess.GetLength(file) > size)
            Warn?.Invoke($"'{PosixNames.Display(sourceFile)}' grew while it was being read; only its first {size} bytes were stored.");
        return read;
    }

    private long CopyRange(SafeFileHandle file, long offset, long length, Action<long>? bytesRead, ref bool shrank)
    {
        var buffer = _buffer ??= new byte[BufferSize];
        long done = 0;
        while (done < length)
        {
            var want = (int)Math.Min(buffer.Length, length - done);
            var n = shrank ? 0 : RandomAccess.Read(file, buffer.AsSpan(0, want), offset + done);
            if (n == 0)
            {
                // The header already announced the length: keep the archive well-formed with zeros.
                shrank = true;
                WriteZeros(length - done);
                return done;
            }
            _output.Write(buffer, 0, n);
            done += n;
            bytesRead?.Invoke(n);
        }
        return done;
    }

    private void WriteZeros(long count)
    {
        var buffer = _buffer!;
        Array.Clear(buffer);
        while (count > 0)
        {
            var n = (int)Math.Min(count, buffer.Length);
            _output.Write(buffer, 0, n);
            count -= n;
        }
    }

    /// <summary>
    /// The ustar name of a sparse entry is a placeholder (GNU tar's "dir/GNUSparseFile.N/name"): a reader
    /// without sparse support extracts the raw map+data there instead of passing it off as the real file.
    /// </summary>
    private string SparsePlaceholderName(string path)
    {
        var n = _sparseCounter++;
        var slash = path.LastIndexOf('/');
        var placeholder = slash < 0 ? $"GNUSparseFile.{n}/{path}" : $"{path[..slash]}/GNUSparseFile.{n}/{path[(slash + 1)..]}";
        return TarHeaderBlock.FitsPlain(placeholder) ? placeholder : $"GNUSparseFile.{n}/sparse";
    }

    private void WriteHeader(string path, int mode, long size, DateTimeOffset mtime, byte type, string link, Dictionary<string, string>? extra)
    {
        if (_finished) throw new InvalidOperationException("The archive was already finished.");
        if (string.IsNullOrEmpty(path) || path.Contains('\0'))
            throw new BackupToolsException("TarEntryNameInvalid", FailureKind.InvalidData, $"Cannot archive an entry named '{path}'.");
        if (mode is < 0 or > 0xFFF) throw new ArgumentOutOfRangeException(nameof(mode), mode, "Mode must be permission bits (0..07777).");
        var records = new Dictionary<string, string>();
        // A name that is not UTF-8 goes in the pax records as its raw bytes, declared the way GNU tar does
        // (hdrcharset=BINARY, before the records it applies to), so both tars restore the exact name.
        if (PosixNames.HasEscapedBytes(path) || PosixNames.HasEscapedBytes(link)) records["hdrcharset"] = "BINARY";
        foreach (var (key, value) in extra ?? []) records[key] = value;
        var name = type == TarHeaderBlock.TypeDirectory ? path.TrimEnd('/') + "/" : path;
        var headerName = name;
        if (!TarHeaderBlock.FitsPlain(name))
        {
            records["path"] = name;
            headerName = Ascii(name, keepEnd: true);
        }
        var headerLink = link;
        if (!TarHeaderBlock.FitsPlain(link))
        {
            records["linkpath"] = link;
            headerLink = Ascii(link, keepEnd: false);
        }
        var mtimeSeconds = mtime.ToUnixTimeSeconds();
        if (mtime.UtcTicks % TimeSpan.TicksPerSecond != 0 || mtimeSeconds < 0 || mtimeSeconds > TarHeaderBlock.MaxOctalSize)
            records["mtime"] = PaxRecords.FormatTime(mtime);
        if (size > TarHeaderBlock.MaxOctalSize)
            records["size"] = size.ToString(CultureInfo.InvariantCulture);
        var headerMtime = Math.Clamp(mtimeSeconds, 0, TarHeaderBlock.MaxOctalSize);
        if (records.Count > 0)
        {
            var pax = PaxRecords.Encode(records);
            TarHeaderBlock.Encode(_block, PaxHeaderName(headerName), 0b110_100_100, pax.Length, headerMtime, TarHeaderBlock.TypePaxEntry, "");
            _output.Write(_block);
            _output.Write(pax);
            Pad(pax.Length);
        }
        // Sizes beyond the octal field live in the pax "size" record; the ustar field then says 0.
        TarHeaderBlock.Encode(_block, headerName, mode, size > TarHeaderBlock.MaxOctalSize ? 0 : size, headerMtime, type, headerLink);
        _output.Write(_block);
    }

    private static string PaxHeaderName(string name)
    {
        var trimmed = name.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        var pax = slash < 0 ? "PaxHeaders/" + trimmed : trimmed[..slash] + "/PaxHeaders/" + trimmed[(slash + 1)..];
        return pax.Length < 100 ? pax : "PaxHeaders/" + trimmed[(slash + 1)..][..Math.Min(trimmed.Length - slash - 1, 80)];
    }

    /// <summary>A readable ASCII stand-in for the 100-byte ustar field; the pax record holds the real value.</summary>
    private static string Ascii(string value, bool keepEnd)
    {
        var ascii = string.Create(value.Length, value, (span, v) =>
        {
            for (var i = 0; i < v.Length; i++) span[i] = v[i] is >= ' ' and < (char)127 ? v[i] : '_';
        });
        return ascii.Length < 100 ? ascii : keepEnd ? ascii[^99..] : ascii[..99];
    }

    private void Pad(long length)
    {
        var pad = (int)((TarHeaderBlock.BlockSize - length % TarHeaderBlock.BlockSize) % TarHeaderBlock.BlockSize);
        if (pad > 0) _output.Write(Zeros, 0, pad);
    }
}
