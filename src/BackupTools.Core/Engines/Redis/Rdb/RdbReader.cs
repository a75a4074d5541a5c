using System.Buffers.Binary;
using System.Text;

namespace BackupTools.Core.Engines.Redis.Rdb;

/// <summary>
/// Walks an RDB snapshot from its magic to the EOF opcode without materialising values: every opcode and
/// value encoding is decoded only as far as needed to skip it, keys are counted per database, and the
/// CRC-64 trailer is checked when the server wrote one. Proves a snapshot whole; throws
/// <see cref="RdbFormatException"/> at the first byte that does not fit.
/// </summary>
public sealed class RdbReader
{
    public const int MaxKnownVersion = 12;
    private const int BufferSize = 1 << 20;

    private readonly Stream _input;
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _pos, _len, _crcFrom;
    private long _before; // bytes of the stream that precede _buffer[0]
    private ulong _crc;

    private readonly bool _checksum;

    private RdbReader(Stream input, bool checksum)
    {
        _input = input;
        _checksum = checksum;
    }

    private long Offset => _before + _pos;

    /// <summary>Reads the whole stream; anything after the checksum is an error too.</summary>
    /// <param name="checksum">false skips computing the CRC-64 (ComputedChecksum is then 0 and not compared).</param>
    public static RdbSummary Read(Stream input, bool checksum = true) => new RdbReader(input, checksum).Walk();

    private RdbSummary Walk()
    {
        Span<byte> header = stackalloc byte[9];
        ReadExact(header);
        if (!header[..5].SequenceEqual("REDIS"u8))
            throw new RdbFormatException("does not start with the RDB magic 'REDIS'", 0);
        if (!int.TryParse(Encoding.ASCII.GetString(header[5..]), out var version) || version < 1)
            throw new RdbFormatException($"has an unreadable RDB version '{Encoding.ASCII.GetString(header[5..])}'", 5);
        if (version > MaxKnownVersion)
            throw new RdbFormatException($"is RDB version {version}; this BackupTools understands up to {MaxKnownVersion}", 5);

        var databases = new SortedDictionary<int, (long Keys, long Expires)>();
        var aux = new Dictionary<string, string>();
        var db = 0;
        var expiring = false;
        while (true)
        {
            var opcode = ReadByte();
            switch (opcode)
            {
                case 0xFF: // EOF
                    return Finish(version, databases, aux);
                case 0xFE: // SELECTDB
                    db = checked((int)ReadLength());
                    break;
                case 0xFD: Skip(4); expiring = true; break; // EXPIRETIME (seconds)
                case 0xFC: Skip(8); expiring = true; break; // EXPIRETIME_MS
                case 0xFB: ReadLength(); ReadLength(); break; // RESIZEDB hints
                case 0xFA: // AUX
                    var name = ReadShortString();
                    aux[name] = ReadShortString();
                    break;
                case 0xF9: Skip(1); break; // FREQ (LFU)
                case 0xF8: ReadLength(); break; // IDLE (LRU)
                case 0xF7: // MODULE_AUX: module id, when-opcode, when, then the module's value
                    ReadLength(); ReadLength(); ReadLength();
                    SkipModuleValue();
                    break;
                case 0xF6: SkipString(); break; // FUNCTION2: one library's code
                case 0xF5:
                    throw new RdbFormatException("holds pre-release Redis 7.0 function data, which cannot be validated", Offset - 1);
                case 0xF4: ReadLength(); ReadLength(); ReadLength(); break; // SLOT_INFO (cluster)
                default:
                    SkipString(); // the key
                    SkipValue(opcode);
                    var (keys, expires) = databases.GetValueOrDefault(db);
                    databases[db] = (keys + 1, expires + (expiring ? 1 : 0));
                    expiring = false;
                    break;
            }
        }
    }

    private RdbSummary Finish(int version, SortedDictionary<int, (long Keys, long Expires)> databases, Dictionary<string, string> aux)
    {
        if (_checksum) _crc = Crc64.Update(_crc, _buffer.AsSpan(_crcFrom, _pos - _crcFrom));
        _crcFrom = _pos;
        var computed = _crc;
        ulong stored = 0;
        if (version >= 5)
        {
            Span<byte> trailer = stackalloc byte[8];
            ReadExact(trailer);
            stored = BinaryPrimitives.ReadUInt64LittleEndian(trailer);
            if (_checksum && stored != 0 && stored != computed)
                throw new RdbFormatException($"has checksum {stored:x16} but its content hashes to {computed:x16}", Offset - 8, checksumMismatch: true);
        }
        var end = Offset;
        if (_pos < _len || _input.Read(_buffer, 0, 1) > 0)
            throw new RdbFormatException("has data after its checksum", end);
        return new RdbSummary(version, end, databases.Select(d => new RdbDatabase(d.Key, d.Value.Keys, d.Value.Expires)).ToList(), aux, stored, computed);
    }

    private void SkipValue(byte type)
    {
        switch (type)
        {
            case 0: SkipString(); break; // STRING
            case 1: case 2: SkipStrings(ReadLength()); break; // LIST, SET
            case 3: // ZSET with ASCII scores
                for (var n = ReadLength(); n > 0; n--)
                {
                    SkipString();
                    var scoreLength = ReadByte();
                    if (scoreLength < 253) Skip((ulong)scoreLength); // 253-255 are NaN/+inf/-inf
                }
                break;
            case 4: SkipStrings(checked(ReadLength() * 2)); break; // HASH
            case 5: for (var n = ReadLength(); n > 0; n--) { SkipString(); Skip(8); } break; // ZSET_2, binary scores
            case 7: ReadLength(); SkipModuleValue(); break; // MODULE_2
            case 9: case 10: case 11: case 12: case 13: case 16: case 17: case 20: SkipString(); break; // one encoded blob
            case 14: SkipStrings(ReadLength()); break; // LIST_QUICKLIST (ziplists)
            case 18: for (var n = ReadLength(); n > 0; n--) { ReadLength(); SkipString(); } break; // LIST_QUICKLIST_2
            case 15: SkipStream(1); break;
            case 19: SkipStream(2); break;
            case 21: SkipStream(3); break;
            default:
                throw new RdbFormatException($"has value type {type}, which this BackupTools does not know (newer Redis, module or damage)", Offset - 1);
        }
    }

    private void SkipStream(int generation)
    {
        for (var nodes = ReadLength(); nodes > 0; nodes--) { SkipString(); SkipString(); } // master id, listpack
        ReadLength(); ReadLength(); ReadLength(); // length, last id
        if (generation >= 2) { ReadLength(); ReadLength(); ReadLength(); ReadLength(); ReadLength(); } // first id, max deleted id, entries added
        for (var groups = ReadLength(); groups > 0; groups--)
        {
            SkipString(); // name
            ReadLength(); ReadLength(); // last delivered id
            if (generation >= 2) ReadLength(); // entries read
            for (var pending = ReadLength(); pending > 0; pending--) { Skip(16 + 8); ReadLength(); } // id, delivery time, count
            for (var consumers = ReadLength(); consumers > 0; consumers--)
            {
                SkipString();
                Skip(generation >= 3 ? 16UL : 8UL); // seen time (+ active time)
                for (var owned = ReadLength(); owned > 0; owned--) Skip(16);
            }
        }
    }

    private void SkipModuleValue()
    {
        while (true)
        {
            switch (ReadLength())
            {
                case 0: return; // EOF
                case 1: case 2: ReadLength(); break; // SINT, UINT
                case 3: Skip(4); break; // FLOAT
                case 4: Skip(8); break; // DOUBLE
                case 5: SkipString(); break; // STRING
                case var other: throw new RdbFormatException($"has module value opcode {other}", Offset);
            }
        }
    }

    private void SkipStrings(ulong count)
    {
        for (; count > 0; count--) SkipString();
    }

    private void SkipString()
    {
        var (length, encoded) = ReadLengthOrEncoding();
        if (!encoded) { Skip(length); return; }
        switch (length)
        {
            case 0: Skip(1); break;
            case 1: Skip(2); break;
            case 2: Skip(4); break;
            case 3: var compressed = ReadLength(); ReadLength(); Skip(compressed); break; // LZF: compressed, plain length
            default: throw new RdbFormatException($"has unknown string encoding {length}", Offset - 1);
        }
    }

    /// <summary>AUX values are short; compressed ones are skipped rather than inflated.</summary>
    private string ReadShortString()
    {
        var (length, encoded) = ReadLengthOrEncoding();
        if (encoded)
        {
            Span<byte> n = stackalloc byte[4];
            switch (length)
            {
                case 0: ReadExact(n[..1]); return ((sbyte)n[0]).ToString();
                case 1: ReadExact(n[..2]); return BinaryPrimitives.ReadInt16LittleEndian(n).ToString();
                case 2: ReadExact(n); return BinaryPrimitives.ReadInt32LittleEndian(n).ToString();
                case 3: var compressed = ReadLength(); ReadLength(); Skip(compressed); return "(compressed)";
                default: throw new RdbFormatException($"has unknown string encoding {length}", Offset - 1);
            }
        }
        if (length > 4096) { Skip(length); return "(long)"; }
        var bytes = new byte[length];
        ReadExact(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    private ulong ReadLength()
    {
        var (length, encoded) = ReadLengthOrEncoding();
        if (encoded) throw new RdbFormatException("has an encoded value where a length belongs", Offset - 1);
        return length;
    }

    private (ulong Value, bool Encoded) ReadLengthOrEncoding()
    {
        var first = ReadByte();
        switch (first >> 6)
        {
            case 0: return ((ulong)(first & 0x3F), false);
            case 1: return ((ulong)(((first & 0x3F) << 8) | ReadByte()), false);
            case 3: return ((ulong)(first & 0x3F), true);
        }
        Span<byte> wide = stackalloc byte[8];
        if (first == 0x80) { ReadExact(wide[..4]); return (BinaryPrimitives.ReadUInt32BigEndian(wide), false); }
        if (first == 0x81) { ReadExact(wide); return (BinaryPrimitives.ReadUInt64BigEndian(wide), false); }
        throw new RdbFormatException($"has an invalid length prefix 0x{first:x2}", Offset - 1);
    }

    private byte ReadByte()
    {
        if (_pos == _len) Refill(1);
        return _buffer[_pos++];
    }

    private void ReadExact(Span<byte> target)
    {
        if (_len - _pos < target.Length) Refill(target.Length);
        _buffer.AsSpan(_pos, target.Length).CopyTo(target);
        _pos += target.Length;
    }

    private void Skip(ulong count)
    {
        while (count > 0)
        {
            if (_pos == _len) Refill(1);
            var step = (int)Math.Min(count, (ulong)(_len - _pos));
            _pos += step;
            count -= (ulong)step;
        }
    }

    /// <summary>Checksums what was consumed, keeps the unread tail, and reads until at least <paramref name="need"/> bytes are buffered.</summary>
    private void Refill(int need)
    {
        if (_checksum) _crc = Crc64.Update(_crc, _buffer.AsSpan(_crcFrom, _pos - _crcFrom));
        var keep = _len - _pos;
        Buffer.BlockCopy(_buffer, _pos, _buffer, 0, keep);
        _before += _pos;
        _pos = 0;
        _crcFrom = 0;
        _len = keep;
        while (_len < need)
        {
            var n = _input.Read(_buffer, _len, _buffer.Length - _len);
            if (n == 0) throw new RdbFormatException($"ends after {_before + _len} bytes, before its EOF marker", _before + _len, truncated: true);
            _len += n;
        }
    }
}
