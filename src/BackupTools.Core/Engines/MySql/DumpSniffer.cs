using System.Text;
using System.Text.RegularExpressions;

namespace BackupTools.Core.Engines.MySql;

/// <summary>
/// Pass-through stream that keeps the dump's first 64 KiB and last 4 KiB: the head carries the binlog
/// coordinates (and MySQL's GTID set) the dump was taken at, the tail the "-- Dump completed" marker and
/// MariaDB's gtid_slave_pos, which mariadb-dump writes after the data.
/// </summary>
public sealed partial class DumpSniffer(Stream inner) : Stream
{
    private const int HeadSize = 64 * 1024;
    private const int TailSize = 4096;
    private readonly MemoryStream _head = new();
    private readonly byte[] _tail = new byte[TailSize];
    private int _tailLength;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> data)
    {
        inner.Write(data);
        if (_head.Length < HeadSize) _head.Write(data[..Math.Min(data.Length, HeadSize - (int)_head.Length)]);
        if (data.Length >= TailSize) { data[^TailSize..].CopyTo(_tail); _tailLength = TailSize; return; }
        var keep = Math.Min(_tailLength, TailSize - data.Length);
        Array.Copy(_tail, _tailLength - keep, _tail, 0, keep);
        data.CopyTo(_tail.AsSpan(keep));
        _tailLength = keep + data.Length;
    }

    public bool Completed => IsComplete(Encoding.UTF8.GetString(_tail, 0, _tailLength));

    public static bool IsComplete(string tail) => tail.Contains("-- Dump completed", StringComparison.Ordinal);

    /// <summary>Binlog file and position from "-- CHANGE MASTER TO MASTER_LOG_FILE=…" (or SOURCE_LOG_FILE in MySQL 8).</summary>
    public (string File, long Position)? BinlogCoordinates()
    {
        var match = Coordinates().Match(Encoding.UTF8.GetString(_head.ToArray()));
        return match.Success ? (match.Groups[1].Value, long.Parse(match.Groups[2].Value)) : null;
    }

    /// <summary>The GTID set at the snapshot: MySQL's GTID_PURGED statement (head) or MariaDB's gtid_slave_pos comment (tail).</summary>
    public string? GtidSet()
    {
        var match = Gtid().Match(Encoding.UTF8.GetString(_head.ToArray()));
        if (!match.Success) match = Gtid().Match(Encoding.UTF8.GetString(_tail, 0, _tailLength));
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex(@"(?:gtid_slave_pos|GTID_PURGED)\s*=\s*(?:/\*!80000 '\+'\*/ )?'([^']*)'")]
    private static partial Regex Gtid();

    [GeneratedRegex(@"(?:MASTER|SOURCE)_LOG_FILE='([^']+)',\s*(?:MASTER|SOURCE)_LOG_POS=(\d+)")]
    private static partial Regex Coordinates();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
