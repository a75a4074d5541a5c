using System.Globalization;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// A file PostgreSQL archives: a WAL segment (TTTTTTTTLLLLLLLLSSSSSSSS), a timeline history file (TTTTTTTT.history),
/// a backup history file (…​.XXXXXXXX.backup), a segment cut at promotion (….partial), or a snapshot of the segment the
/// streaming archiver is still receiving (….XXXXXXXX.stream: the bytes of WAL in it, hex; the file is a whole segment).
/// </summary>
public readonly record struct WalFileName(string Name, WalFileKind Kind, uint Timeline, ulong Segment)
{
    public static bool TryParse(string name, out WalFileName file)
    {
        file = default;
        if (name.Length == 8 + ".history".Length && name.EndsWith(".history", StringComparison.Ordinal) && Hex(name[..8], out var historyTli))
        {
            file = new WalFileName(name, WalFileKind.History, (uint)historyTli, 0);
            return true;
        }
        if (name.Length < 24 || !Hex(name[..8], out var tli) || !Hex(name[8..16], out var log) || !Hex(name[16..24], out var seg)) return false;
        var rest = name[24..];
        var kind = rest switch
        {
            "" => WalFileKind.Segment,
            ".partial" => WalFileKind.Partial,
            _ when rest.Length == 1 + 8 + ".backup".Length && rest[0] == '.' && rest.EndsWith(".backup", StringComparison.Ordinal) && Hex(rest[1..9], out _) => WalFileKind.BackupLabel,
            _ when rest.Length == 1 + 8 + ".stream".Length && rest[0] == '.' && rest.EndsWith(".stream", StringComparison.Ordinal) && Hex(rest[1..9], out _) => WalFileKind.StreamSnapshot,
            _ => (WalFileKind?)null,
        };
        if (kind is null) return false;
        file = new WalFileName(name, kind.Value, (uint)tli, log * 0x1_0000_0000UL + seg);
        return true;
    }

    /// <summary>The segment name for a timeline and an absolute segment number (log * 2^32 + seg, in segment-size units).</summary>
    public static string SegmentName(uint timeline, ulong segmentNumber, long segmentSize)
    {
        var perLog = 0x1_0000_0000UL / (ulong)segmentSize;
        return $"{timeline:X8}{segmentNumber / perLog:X8}{segmentNumber % perLog:X8}";
    }

    /// <summary>The absolute segment number holding <paramref name="lsn"/>.</summary>
    public static ulong SegmentOf(ulong lsn, long segmentSize) => lsn / (ulong)segmentSize;

    /// <summary>The absolute segment number of a segment name ("log" and "seg" parts) for a segment size.</summary>
    public ulong SegmentNumber(long segmentSize) => (Segment >> 32) * (0x1_0000_0000UL / (ulong)segmentSize) + (Segment & 0xFFFF_FFFF);

    /// <summary>Parses "0/2000028" (as pg_basebackup and pg_current_wal_lsn print it).</summary>
    public static ulong ParseLsn(string text)
    {
        var slash = text.IndexOf('/');
        if (slash < 0 || !ulong.TryParse(text[..slash], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var high)
            || !ulong.TryParse(text[(slash + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var low))
            throw new FormatException($"'{text}' is not an LSN (like 0/2000028).");
        return (high << 32) | low;
    }

    /// <summary>The segment's own name (a snapshot or .partial file is staged for recovery under it).</summary>
    public string SegmentFileName => Name[..24];

    /// <summary>A stream snapshot's WAL bytes (its name's hex field); 0 for other kinds.</summary>
    public long SnapshotBytes => Kind == WalFileKind.StreamSnapshot ? long.Parse(Name[25..33], NumberStyles.HexNumber, CultureInfo.InvariantCulture) : 0;

    public static string SnapshotName(string segment, long bytes) => $"{segment}.{bytes:X8}.stream";

    public static string FormatLsn(ulong lsn) => $"{lsn >> 32:X}/{lsn & 0xFFFF_FFFF:X}";

    private static bool Hex(string text, out ulong value) =>
        ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && text.All(c => char.IsAsciiHexDigitUpper(c) || char.IsAsciiDigit(c));
}

public enum WalFileKind
{
    Segment,
    Partial,
    History,
    BackupLabel,
    StreamSnapshot,
}
