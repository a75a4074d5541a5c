using System.Globalization;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>
/// Reads a tar from a forward-only stream: ustar, pax ('x', global 'g' ignored), GNU long names ('L'/'K')
/// and GNU sparse 1.0. Checksums are verified; an archive that ends mid-entry or without its end-of-archive
/// blocks is an integrity error. Hard links and special files are skipped (we never write them).
/// </summary>
public sealed class TarReader
{
    private readonly Stream _input;
    private readonly byte[] _block = new byte[TarHeaderBlock.BlockSize];
    private TarEntry? _current;
    private bool _ended;

    public TarReader(Stream input) => _input = input;

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
                    throw new BackupIntegrityException("TarMissingEndOfArchive", "The archive's end-of-archive marker is incomplete: it was cut short.");
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
                    longName = Encoding.UTF8.GetString(ReadSmall(size)).TrimEnd('\0');
                    continue;
                case TarHeaderBlock.TypeGnuLongLink:
                    longLink = Encoding.UTF8.GetString(ReadSmall(size)).TrimEnd('\0');
                    continue;
            }
            var header = BuildHeader(type, size, pax, longName, longLink, out var storedSize, out var sparseFormat);
            var entry = new TarEntry(header, _input, storedSize, sparseFormat);
            if (header is null)
            {
                entry.SkipRest(); // hard link, device, fifo…: not ours to restore
                pax = null; longName = null; longLink = null;
                continue;
            }
            _current = entry;
            return entry;
        }
    }

    private TarEntryHeader? BuildHeader(byte type, long size, Dictionary<string, string>? pax, string? longName, string? longLink, out long storedSize, out bool sparse)
    {
        var name = longName ?? TarHeaderBlock.Name(_block);
        var link = longLink ?? TarHeaderBlock.Text(_block.AsSpan(157, 100));
        var mode = (int)TarHeaderBlock.ParseNumber(_block.AsSpan(100, 8), "mode") & 0xFFF;
        var mtime = DateTimeOffset.FromUnixTimeSeconds(TarHeaderBlock.ParseNumber(_block.AsSpan(136, 12), "mtime"));
        long realSize = size;
        sparse = false;
        if (pax != null)
        {
            if (pax.TryGetValue("path", out var p)) name = p;
            if (pax.TryGetValue("linkpath", out var l)) link = l;
            if (pax.TryGetValue("mtime", out var m)) mtime = PaxRecords.ParseTime(m);
            if (pax.TryGetValue("size", out var s)) size = realSize = long.Parse(s, CultureInfo.InvariantCulture);
            if (pax.TryGetValue("GNU.sparse.major", out var major) && major == "1")
            {
                sparse = true;
                name = pax.GetValueOrDefault("GNU.sparse.name", name);
                realSize = long.Parse(pax.GetValueOrDefault("GNU.sparse.realsize", "0"), CultureInfo.InvariantCulture);
            }
        }
        storedSize = size;
        var kind = type switch
        {
            TarHeaderBlock.TypeFile or TarHeaderBlock.TypeOldFile or (byte)'7' => TarEntryKind.File,
            TarHeaderBlock.TypeDirectory => TarEntryKind.Directory,
            TarHeaderBlock.TypeSymlink => TarEntryKind.Symlink,
            _ => (TarEntryKind?)null,
        };
        if (kind is null) return null;
        if (kind != TarEntryKind.File) { storedSize = kind == TarEntryKind.Directory ? 0 : size; realSize = 0; }
        return new TarEntryHeader(name.TrimEnd('/'), kind.Value, mode, mtime, realSize, kind == TarEntryKind.Symlink ? link : null);
    }

    private bool ReadBlock(bool allowEof)
    {
        var n = TarEntry.ReadFully(_input, _block);
        if (n == 0 && allowEof) return false;
        if (n != _block.Length) throw TarEntry.Truncated();
        return true;
    }

    private byte[] ReadSmall(long size)
    {
        if (size > 16 * 1024 * 1024) throw new BackupIntegrityException("TarHeaderMalformed", "A tar extended header is implausibly large: the archive is damaged.");
        var data = new byte[size];
        if (TarEntry.ReadFully(_input, data) != size) throw TarEntry.Truncated();
        var pad = (int)((TarHeaderBlock.BlockSize - size % TarHeaderBlock.BlockSize) % TarHeaderBlock.BlockSize);
        if (pad > 0 && TarEntry.ReadFully(_input, _block.AsSpan(0, pad)) != pad) throw TarEntry.Truncated();
        return data;
    }
}
