using System.Text;
using BackupTools.Core.Errors;
using BackupTools.Core.Posix;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>
/// Reads a tar from a forward-only stream: ustar, pax ('x'; global 'g' ignored), GNU long names ('L'/'K')
/// and GNU sparse 1.0 (pax). Checksums are verified; an archive that ends mid-entry or without its
/// end-of-archive blocks is an integrity error. Hard links and special files are skipped (we never write them).
/// Data following the end-of-archive blocks (tar's record padding) is left unread.
/// </summary>
public sealed class TarReader
{
    private const int BufferSize = 1 << 20;
    private const long MaxExtendedHeader = 16 * 1024 * 1024;
    private readonly Stream _input;
    private readonly byte[] _block = new byte[TarHeaderBlock.BlockSize];
    private byte[]? _buffer;
    private TarEntry? _current;
    private bool _ended;

    public TarReader(Stream input) => _input = input ?? throw new ArgumentNullException(nameof(input));

    /// <summary>The next entry, or null after the end-of-archive marker. Skips the unread rest of the previous entry.</summary>
    public TarEntry? Next()
    {
        _current?.SkipRest();
        _current = null;
        if (_ended) return null;
        Dictionary<string, string>? pax = null;
        string? longName = null, longLink = null;
        while (true)
        {
            if (!ReadBlock(allowEof: true))
                throw new BackupIntegrityException("TarMissingEndOfArchive", "The archive ends without its end-of-archive marker: it was cut short.");
            if (TarHeaderBlock.IsZero(_block))
            {
                if (!ReadBlock(allowEof: true) || !TarHeaderBlock.IsZero(_block))
                    throw new BackupIntegrityException("TarMissingEndOfArchive", "The archive's end-of-archive marker is incomplete: it was cut short or damaged.");
                _ended = true;
                return null;
            }
            TarHeaderBlock.Verify(_block);
            var type = _block[156];
            var size = TarHeaderBlock.ParseNumber(_block.AsSpan(124, 12), "size");
            switch (type)
            {
                case TarHeaderBlock.TypePaxEntry:
                    pax = PaxRecords.Decode(ReadSmall(size));
                    continue;
                case TarHeaderBlock.TypePaxGlobal:
                    ReadSmall(size);
                    continue;
                case TarHeaderBlock.TypeGnuLongName:
                    longName = PosixNames.FromBytes(ReadSmall(size)).TrimEnd('\0');
                    continue;
                case TarHeaderBlock.TypeGnuLongLink:
                    longLink = PosixNames.FromBytes(ReadSmall(size)).TrimEnd('\0');
                    continue;
                case (byte)'S':
                    throw new BackupIntegrityException("TarUnsupportedEntry", "The archive holds an old-GNU sparse entry, which this reader does not support; write archives with --format=pax.");
            }

            if (pax != null && pax.TryGetValue("size", out var paxSize)) size = PaxRecords.ParseSize(paxSize, "size");
            var kind = type switch
            {
                TarHeaderBlock.TypeFile or TarHeaderBlock.TypeOldFile or (byte)'7' => TarEntryKind.File,
                TarHeaderBlock.TypeDirectory => TarEntryKind.Directory,
                TarHeaderBlock.TypeSymlink => TarEntryKind.Symlink,
                _ => (TarEntryKind?)null,
            };
            // Directories and links carry no data whatever their size field says, except in GNU's dumpdir.
            var stored = kind is null or TarEntryKind.File ? size : 0;
            var padding = (TarHeaderBlock.BlockSize - stored % TarHeaderBlock.BlockSize) % TarHeaderBlock.BlockSize;
            if (kind is null)
            {
                new TarEntry(new TarEntryHeader("", TarEntryKind.File, 0, default, 0), _input, stored, padding, Buffer).SkipRest();
                pax = null; longName = null; longLink = null;
                continue;
            }

            var header = BuildHeader(kind.Value, size, pax, longName, longLink, out var sparse);
            long mapBytes = 0;
            if (sparse) header = header with { Sparse = GnuSparseMap.Read(_input, stored, header.Size, out mapBytes) };
            _current = new TarEntry(header, _input, stored - mapBytes, padding, Buffer);
            return _current;
        }
    }

    private TarEntryHeader BuildHeader(TarEntryKind kind, long size, Dictionary<string, string>? pax, string? longName, string? longLink, out bool sparse)
    {
        var name = longName ?? TarHeaderBlock.Name(_block);
        var link = longLink ?? TarHeaderBlock.Text(_block.AsSpan(157, 100));
        var mode = (int)TarHeaderBlock.ParseNumber(_block.AsSpan(100, 8), "mode") & 0xFFF;
        var seconds = TarHeaderBlock.ParseNumber(_block.AsSpan(136, 12), "mtime");
        if (seconds > 253_402_300_799L) throw new BackupIntegrityException("TarHeaderMalformed", "A tar header has an impossible mtime: the archive is damaged.");
        var mtime = DateTimeOffset.FromUnixTimeSeconds(seconds);
        var realSize = size;
        sparse = false;
        if (pax != null)
        {
            if (pax.TryGetValue("path", out var p)) name = p;
            if (pax.TryGetValue("linkpath", out var l)) link = l;
            if (pax.TryGetValue("mtime", out var m)) mtime = PaxRecords.ParseTime(m);
            if (kind == TarEntryKind.File && pax.TryGetValue("GNU.sparse.major", out var major))
            {
                if (major != "1" || pax.GetValueOrDefault("GNU.sparse.minor") != "0")
                    throw new BackupIntegrityException("TarUnsupportedEntry", $"The archive uses GNU sparse format {major}.{pax.GetValueOrDefault("GNU.sparse.minor")}; only 1.0 is supported.");
                sparse = true;
                if (pax.TryGetValue("GNU.sparse.name", out var sparseName)) name = sparseName;
                realSize = PaxRecords.ParseSize(pax.GetValueOrDefault("GNU.sparse.realsize", ""), "GNU.sparse.realsize");
            }
        }
        while (name.StartsWith("./", StringComparison.Ordinal) && name.Length > 2) name = name[2..];
        if (name.Length > 1) name = name.TrimEnd('/');
        return new TarEntryHeader(name, kind, mode, mtime, kind == TarEntryKind.File ? realSize : 0,
            kind == TarEntryKind.Symlink ? link : null);
    }

    private byte[] Buffer() => _buffer ??= new byte[BufferSize];

    private bool ReadBlock(bool allowEof)
    {
        var n = TarEntry.ReadFully(_input, _block);
        if (n == 0 && allowEof) return false;
        if (n != _block.Length) throw TarEntry.Truncated();
        return true;
    }

    private byte[] ReadSmall(long size)
    {
        if (size > MaxExtendedHeader) throw new BackupIntegrityException("TarHeaderMalformed", "A tar extended header is implausibly large: the archive is damaged.");
        var data = new byte[size];
        if (TarEntry.ReadFully(_input, data) != size) throw TarEntry.Truncated();
        var pad = (int)((TarHeaderBlock.BlockSize - size % TarHeaderBlock.BlockSize) % TarHeaderBlock.BlockSize);
        if (pad > 0 && TarEntry.ReadFully(_input, _block.AsSpan(0, pad)) != pad) throw TarEntry.Truncated();
        return data;
    }
}
