namespace BackupTools.Core.Engines.Redis.Rdb;

/// <summary>
/// CRC-64/Jones as Redis computes its RDB trailer: polynomial 0xad93d23594c935a9, reflected in and out,
/// init 0, no final xor (check value of "123456789" is 0xe9c6d914c4b8d9ca). Slice-by-8 so validating a
/// multi-gigabyte snapshot is not CPU-bound.
/// </summary>
public static class Crc64
{
    private static readonly ulong[][] Tables = BuildTables();

    public static ulong Update(ulong crc, ReadOnlySpan<byte> data)
    {
        var t = Tables;
        var (t0, t1, t2, t3, t4, t5, t6, t7) = (t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]);
        while (data.Length >= 8)
        {
            crc ^= System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(data);
            crc = t7[crc & 0xff] ^ t6[(crc >> 8) & 0xff] ^ t5[(crc >> 16) & 0xff] ^ t4[(crc >> 24) & 0xff]
                ^ t3[(crc >> 32) & 0xff] ^ t2[(crc >> 40) & 0xff] ^ t1[(crc >> 48) & 0xff] ^ t0[crc >> 56];
            data = data[8..];
        }
        foreach (var b in data) crc = t0[(crc ^ b) & 0xff] ^ (crc >> 8);
        return crc;
    }

    private static ulong[][] BuildTables()
    {
        var reflected = Reflect(0xad93d23594c935a9UL);
        var tables = new ulong[8][];
        for (var k = 0; k < 8; k++) tables[k] = new ulong[256];
        for (var i = 0; i < 256; i++)
        {
            var crc = (ulong)i;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ reflected : crc >> 1;
            tables[0][i] = crc;
        }
        for (var i = 0; i < 256; i++)
            for (var k = 1; k < 8; k++)
                tables[k][i] = tables[0][tables[k - 1][i] & 0xff] ^ (tables[k - 1][i] >> 8);
        return tables;
    }

    private static ulong Reflect(ulong value)
    {
        ulong result = 0;
        for (var i = 0; i < 64; i++) result |= ((value >> i) & 1) << (63 - i);
        return result;
    }
}
