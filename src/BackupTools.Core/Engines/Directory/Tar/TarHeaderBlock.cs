using System.Text;
using BackupTools.Core.Errors;
using BackupTools.Core.Posix;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>The 512-byte ustar header: encoding, decoding and checksums. Everything that does not fit goes in pax records.</summary>
internal static class TarHeaderBlock
{
    public const int BlockSize = 512;
    public const byte TypeFile = (byte)'0';
    public const byte TypeOldFile = 0;
    public const byte TypeHardLink = (byte)'1';
    public const byte TypeSymlink = (byte)'2';
    public const byte TypeDirectory = (byte)'5';
    public const byte TypePaxEntry = (byte)'x';
    public const byte TypePaxGlobal = (byte)'g';
    public const byte TypeGnuLongName = (byte)'L';
    public const byte TypeGnuLongLink = (byte)'K';
    public const long MaxOctalSize = 0x1_FFFF_FFFF; // 11 octal digits (077777777777): 8 GiB - 1

    public static void Encode(Span<byte> block, string name, int mode, long size, long mtimeSeconds, byte type, string linkName)
    {
        block.Clear();
        PutText(block.Slice(0, 100), name);
        PutOctal(block.Slice(100, 8), mode & 0xFFF);
        PutOctal(block.Slice(108, 8), 0);
        PutOctal(block.Slice(116, 8), 0);
        PutOctal(block.Slice(124, 12), size);
        PutOctal(block.Slice(136, 12), Math.Max(0, mtimeSeconds));
        block.Slice(148, 8).Fill((byte)' ');
        block[156] = type;
        PutText(block.Slice(157, 100), linkName);
        "ustar\0"u8.CopyTo(block.Slice(257, 6));
        "00"u8.CopyTo(block.Slice(263, 2));
        var sum = Checksum(block);
        PutOctal(block.Slice(148, 7), sum);
        block[155] = (byte)' ';
    }

    /// <summary>Whether a name fits the 100-byte field as plain ASCII (else a pax record carries it).</summary>
    public static bool FitsPlain(string value) => value.Length < 100 && value.All(c => c is >= ' ' and < (char)127);

    public static bool IsZero(ReadOnlySpan<byte> block) => block.IndexOfAnyExcept((byte)0) < 0;

    public static void Verify(ReadOnlySpan<byte> block)
    {
        var stored = ParseNumber(block.Slice(148, 8), "checksum");
        // Some old tars summed signed bytes; accept either so their archives still read.
        if (stored != Checksum(block) && stored != SignedChecksum(block))
            throw new BackupIntegrityException("TarHeaderChecksumMismatch", "A tar header failed its checksum: the archive is damaged.");
    }

    public static string Name(ReadOnlySpan<byte> block)
    {
        var name = Text(block.Slice(0, 100));
        // Only POSIX ustar ("ustar\0") has a prefix field; old GNU headers keep atime/ctime there.
        var isUstar = block.Slice(257, 6).SequenceEqual("ustar\0"u8);
        var prefix = isUstar ? Text(block.Slice(345, 155)) : "";
        return prefix.Length > 0 ? prefix + "/" + name : name;
    }

    public static string Text(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return PosixNames.FromBytes(end < 0 ? field : field[..end]);
    }

    /// <summary>Octal (space/NUL padded) or GNU base-256 (high bit set) numbers.</summary>
    public static long ParseNumber(ReadOnlySpan<byte> field, string what)
    {
        if (field.Length > 0 && (field[0] & 0x80) != 0)
        {
            long value = field[0] & 0x7F;
            for (var i = 1; i < field.Length; i++) value = (value << 8) | field[i];
            return value;
        }
        long result = 0;
        var seen = false;
        foreach (var b in field)
        {
            if (b is 0 or (byte)' ') { if (seen) break; continue; }
            if (b is < (byte)'0' or > (byte)'7')
                throw new BackupIntegrityException("TarHeaderMalformed", $"A tar header has a malformed {what} field: the archive is damaged.");
            result = result * 8 + (b - '0');
            seen = true;
        }
        return result;
    }

    private static long Checksum(ReadOnlySpan<byte> block)
    {
        long sum = 0;
        for (var i = 0; i < BlockSize; i++) sum += i is >= 148 and < 156 ? (byte)' ' : block[i];
        return sum;
    }

    private static long SignedChecksum(ReadOnlySpan<byte> block)
    {
        long sum = 0;
        for (var i = 0; i < BlockSize; i++) sum += i is >= 148 and < 156 ? (byte)' ' : (sbyte)block[i];
        return sum;
    }

    private static void PutText(Span<byte> field, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        bytes.AsSpan(0, Math.Min(bytes.Length, field.Length)).CopyTo(field);
    }

    private static void PutOctal(Span<byte> field, long value)
    {
        var digits = Convert.ToString(value, 8).PadLeft(field.Length - 1, '0');
        Encoding.ASCII.GetBytes(digits.AsSpan(digits.Length - (field.Length - 1)), field);
        field[^1] = 0;
    }
}
