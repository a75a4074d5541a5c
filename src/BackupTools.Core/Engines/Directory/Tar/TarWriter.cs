using System.Globalization;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>
/// Streams a POSIX pax tar to a forward-only stream. Plain short ASCII entries get a bare ustar header;
/// long or non-ASCII names, sub-second mtimes, sizes ≥ 8 GiB and sparse files (GNU sparse 1.0) get a pax
/// extended header first, as GNU tar writes them, so any tar can extract the archive.
/// </summary>
public sealed class TarWriter : IDisposable
{
    private const int BufferSize = 1 << 20;
    private static readonly byte[] Zeros = new byte[TarHeaderBlock.BlockSize * 2];
    private readonly Stream _output;
    private readonly byte[] _block = new byte[TarHeaderBlock.BlockSize];
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _sparseCounter;
    private bool _finished;

    public TarWriter(Stream output) => _output = output;

    /// <summary>Receives warnings, e.g. a file that changed size while it was read.</summary>
    public Action<string>? Warn { get; set; }

    public void WriteDirectory(string path, int mode, DateTimeOffset mtime) =>
        WriteHeader(path, mode, 0, mtime, TarHeaderBlock.TypeDirectory, "", null);

    public void WriteSymlink(string path, string target, int mode, DateTimeOffset mtime) =>
        WriteHeader(path, mode, 0, mtime, TarHeaderBlock.TypeSymlink, target, null);

    public void WriteBytes(string path, ReadOnlySpan<byte> content, int mode, DateTimeOffset mtime)
    {
        WriteHeader(path, mode, content.Length, mtime, TarHeaderBlock.TypeFile, "", null);
        _output.Write(content);
        Pad(content.Length);
    }

    /// <summary>
    /// Streams a file's content as an entry of exactly <paramref name="size"/> bytes (the size the caller
    /// recorded): a file that shrank meanwhile is padded with zeros, one that grew is cut, both with a warning.
    /// Returns the bytes read from disk.
    /// </summary>
    public long WriteFile(string path, string sourceFile, long size, int mode, DateTimeOffset mtime, Action<long>? bytesRead = null)
    {
        using var file = new FileStream(sourceFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        var regions = SparseDetector.DataRegions(file.SafeFileHandle, size);
        if (regions is null)
        {
            WriteHeader(path, mode, size, mtime, TarHeaderBlock.TypeFile, "", null);
            var read = CopyRange(file, 0, size, sourceFile, bytesRead);
            Pad(size);
            if (read == size && file.Length > size)
                Warn?.Invoke($"'{sourceFile}' grew while it was being read; only its first {size} bytes were stored.");
            return read;
        }
        var map = SparseMap(regions);
        var dataBytes = regions.Sum(r => r.Length);
        var stored = map.Length + dataBytes;
        var sparseName = SparseEntryName(path);
        WriteHeader(sparseName, mode, stored, mtime, TarHeaderBlock.TypeFile, "", new()
        {
            ["GNU.sparse.major"] = "1",
            ["GNU.sparse.minor"] = "0",
            ["GNU.sparse.name"] = path,
            ["GNU.sparse.realsize"] = size.ToString(CultureInfo.InvariantCulture),
        });
        _output.Write(map);
        long total = 0;
        foreach (var region in regions) total += CopyRange(file, region.Offset, region.Length, sourceFile, bytesRead);
        Pad(stored);
        return total;
    }

    public void Finish()
    {
        if (_finished) return;
        _output.Write(Zeros);
        _finished = true;
    }

    public void Dispose() { }

    private long CopyRange(FileStream file, long offset, long length, string sourceFile, Action<long>? bytesRead)
    {
        long done = 0;
        while (done < length)
        {
            var want = (int)Math.Min(_buffer.Length, length - done);
            var n = RandomAccess.Read(file.SafeFileHandle, _buffer.AsSpan(0, want), offset + done);
            if (n == 0)
            {
                Warn?.Invoke($"'{sourceFile}' shrank while it was being read; the rest of its {length} bytes were stored as zeros.");
                WriteZeros(length - done);
                return done;
            }
            _output.Write(_buffer, 0, n);
            done += n;
            bytesRead?.Invoke(n);
        }
        return done;
    }

    private void WriteZeros(long count)
    {
        Array.Clear(_buffer);
        while (count > 0)
        {
            var n = (int)Math.Min(count, _buffer.Length);
            _output.Write(_buffer, 0, n);
            count -= n;
        }
    }

    private static byte[] SparseMap(IReadOnlyList<SparseRegion> regions)
    {
        var text = new StringBuilder();
        text.Append(regions.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var r in regions)
            text.Append(r.Offset.ToString(CultureInfo.InvariantCulture)).Append('\n').Append(r.Length.ToString(CultureInfo.InvariantCulture)).Append('\n');
        var bytes = Encoding.ASCII.GetBytes(text.ToString());
        var padded = new byte[(bytes.Length + TarHeaderBlock.BlockSize - 1) / TarHeaderBlock.BlockSize * TarHeaderBlock.BlockSize];
        bytes.CopyTo(padded, 0);
        return padded;
    }

    private string SparseEntryName(string path)
    {
        var slash = path.LastIndexOf('/');
        var dir = slash < 0 ? "." : path[..slash];
        var name = slash < 0 ? path : path[(slash + 1)..];
        var placeholder = $"{dir}/GNUSparseFile.{_sparseCounter++}/{name}";
        return TarHeaderBlock.FitsPlain(placeholder) ? placeholder : $"GNUSparseFile.{_sparseCounter}/sparse";
    }

    private void WriteHeader(string path, int mode, long size, DateTimeOffset mtime, byte type, string link, Dictionary<string, string>? extra)
    {
        if (_finished) throw new InvalidOperationException("archive already finished");
        if (path.Length == 0 || path.Contains('\0'))
            throw new BackupToolsException("TarEntryNameInvalid", FailureKind.InvalidData, $"Cannot archive an entry named '{path}'.");
        var records = extra ?? new Dictionary<string, string>();
        var name = type == TarHeaderBlock.TypeDirectory ? path.TrimEnd('/') + "/" : path;
        var headerName = name;
        if (!TarHeaderBlock.FitsPlain(name) && extra?.ContainsKey("GNU.sparse.name") != true)
        {
            records["path"] = name;
            headerName = Ascii(name);
        }
        var headerLink = link;
        if (!TarHeaderBlock.FitsPlain(link))
        {
            records["linkpath"] = link;
            headerLink = Ascii(link);
        }
        var mtimeSeconds = mtime.ToUnixTimeSeconds();
        if (mtime.UtcTicks % TimeSpan.TicksPerSecond != 0 || mtimeSeconds < 0 || mtimeSeconds > TarHeaderBlock.MaxOctalSize)
            records["mtime"] = PaxRecords.FormatTime(mtime);
        if (size > TarHeaderBlock.MaxOctalSize)
            records["size"] = size.ToString(CultureInfo.InvariantCulture);
        if (records.Count > 0)
        {
            var pax = PaxRecords.Encode(records);
            TarHeaderBlock.Encode(_block, PaxName(headerName), 0b110_100_100, pax.Length, Math.Clamp(mtimeSeconds, 0, TarHeaderBlock.MaxOctalSize), TarHeaderBlock.TypePaxEntry, "");
            _output.Write(_block);
            _output.Write(pax);
            Pad(pax.Length);
        }
        TarHeaderBlock.Encode(_block, headerName, mode, Math.Min(size, TarHeaderBlock.MaxOctalSize), Math.Clamp(mtimeSeconds, 0, TarHeaderBlock.MaxOctalSize), type, headerLink);
        _output.Write(_block);
    }

    private static string PaxName(string name)
    {
        var slash = name.TrimEnd('/').LastIndexOf('/');
        var pax = slash < 0 ? "PaxHeaders/" + name.TrimEnd('/') : name[..slash] + "/PaxHeaders/" + name[(slash + 1)..].TrimEnd('/');
        return pax.Length < 100 ? pax : pax[..99];
    }

    /// <summary>A readable ASCII stand-in for the ustar field; the pax record holds the real value.</summary>
    private static string Ascii(string value)
    {
        var ascii = new string(value.Select(c => c is >= ' ' and < (char)127 ? c : '_').ToArray());
        return ascii.Length < 100 ? ascii : ascii[^99..];
    }

    private void Pad(long length)
    {
        var pad = (int)((TarHeaderBlock.BlockSize - length % TarHeaderBlock.BlockSize) % TarHeaderBlock.BlockSize);
        if (pad > 0) _output.Write(Zeros, 0, pad);
    }
}
