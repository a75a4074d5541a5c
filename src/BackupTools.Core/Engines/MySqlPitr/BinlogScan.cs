using System.Buffers.Binary;

namespace BackupTools.Core.Engines.MySqlPitr;

/// <summary>A MariaDB GTID: domain-server-sequence.</summary>
public readonly record struct Gtid(uint Domain, uint Server, ulong Sequence)
{
    public override string ToString() => $"{Domain}-{Server}-{Sequence}";

    public static bool TryParse(string text, out Gtid gtid)
    {
        var parts = text.Trim().Split('-');
        gtid = default;
        if (parts.Length != 3 || !uint.TryParse(parts[0], out var d) || !uint.TryParse(parts[1], out var s) || !ulong.TryParse(parts[2], out var q)) return false;
        gtid = new Gtid(d, s, q);
        return true;
    }
}

/// <summary>
/// What a stretch of a binlog file holds, read from its event headers: where the last complete event ends (a
/// stream being written may end mid-event: only whole events are archived), the first/last event times and
/// GTIDs, the GTID state the file started from (its Gtid_list event) and whether it ends (a rotate or stop event: the server moved on to the next file).
/// </summary>
public sealed record BinlogScan(long CompleteEnd, DateTimeOffset? FirstTime, DateTimeOffset? LastTime, Gtid? FirstGtid, Gtid? LastGtid,
    IReadOnlyList<Gtid>? StartState, bool Ended)
{
    public static readonly byte[] Magic = [0xFE, 0x62, 0x69, 0x6E];
    private const int HeaderBytes = 19;
    private const byte RotateEvent = 4, StopEvent = 3, GtidEvent = 162, GtidListEvent = 163;

    /// <summary>Scans <paramref name="path"/> from <paramref name="from"/> (an event boundary, or 0 for the whole file).</summary>
    public static BinlogScan Of(string path, long from)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        var length = stream.Length;
        var position = Math.Max(from, Magic.Length);
        if (length < Magic.Length) return new BinlogScan(0, null, null, null, null, null, false);
        if (from < Magic.Length)
        {
            Span<byte> magic = stackalloc byte[4];
            stream.ReadExactly(magic);
            if (!magic.SequenceEqual(Magic)) throw new InvalidDataException($"{Path.GetFileName(path)} is not a binlog file (no binlog magic).");
        }
        DateTimeOffset? first = null, last = null;
        Gtid? firstGtid = null, lastGtid = null;
        List<Gtid>? startState = null;
        var ended = false;
        var header = new byte[HeaderBytes];
        var body = new byte[32];
        while (position + HeaderBytes <= length)
        {
            stream.Position = position;
            stream.ReadExactly(header);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(9));
            if (size < HeaderBytes) throw new InvalidDataException($"{Path.GetFileName(path)} has a damaged event header at {position}.");
            if (position + size > length) break; // still being written
            var type = header[4];
            var time = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadUInt32LittleEndian(header));
            if (type is not (RotateEvent or StopEvent) && time.ToUnixTimeSeconds() > 0)
            {
                first ??= time;
                last = time;
            }
            if (type == GtidEvent && size >= HeaderBytes + 12)
            {
                stream.ReadExactly(body.AsSpan(0, 12));
                var gtid = new Gtid(BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(8)), BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(5)),
                    BinaryPrimitives.ReadUInt64LittleEndian(body));
                firstGtid ??= gtid;
                lastGtid = gtid;
            }
            else if (type == GtidListEvent && startState is null && size >= HeaderBytes + 4)
            {
                var buffer = new byte[size - HeaderBytes];
                stream.ReadExactly(buffer);
                var count = (int)(BinaryPrimitives.ReadUInt32LittleEndian(buffer) & 0x0FFFFFFF);
                startState = [];
                for (var i = 0; i < count && 4 + (i + 1) * 16 <= buffer.Length; i++)
                {
                    var entry = buffer.AsSpan(4 + i * 16);
                    startState.Add(new Gtid(BinaryPrimitives.ReadUInt32LittleEndian(entry), BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]), BinaryPrimitives.ReadUInt64LittleEndian(entry[8..])));
                }
            }
            ended = type is RotateEvent or StopEvent;
            position += size;
        }
        return new BinlogScan(position, first, last, firstGtid, lastGtid, startState, ended);
    }
}
