using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// Merges pg_basebackup's archives into one tar as they stream, at the block level (headers rewritten, data copied
/// through untouched): base.tar as it is, a tablespace's &lt;oid&gt;.tar under pg_tblspc/&lt;oid&gt;/ (written into the ustar
/// prefix field, which PostgreSQL leaves empty), and backup_manifest last. base.tar's pg_tblspc/&lt;oid&gt; symbolic links
/// are left out: a restore makes its own links to wherever the tablespaces go, and no extractor may follow a link
/// to the source's location. Not thread-safe: callers append one archive at a time.
/// </summary>
internal sealed class PgArchiveMerger(Stream output)
{
    private const int Block = 512, PrefixAt = 345, PrefixLength = 155, ChecksumAt = 148, TypeAt = 156;
    private readonly byte[] _buffer = new byte[1 << 20];

    /// <summary>Whether any byte went to the output (a failed capture that wrote nothing may simply be retried).</summary>
    public bool Started { get; private set; }

    /// <summary>
    /// Copies one archive's entries (under <paramref name="folder"/> when given); returns the bytes of its regular files,
    /// or null for a stream that ended before its first byte (a FIFO pg_basebackup never wrote).
    /// </summary>
    public long? Append(Stream archive, string name, string? folder)
    {
        var header = new byte[Block];
        long fileBytes = 0;
        for (var first = true; ; first = false)
        {
            var read = ReadBlock(archive, header);
            if (read == 0 && first) return null;
            if (read < Block)
                throw Damaged(name, "it ended without its end-of-archive marker (pg_basebackup stopped while writing it)");
            if (header.All(b => b == 0))
            {
                archive.CopyTo(Stream.Null); // the rest of the end marker and any padding
                return fileBytes;
            }
            if (Encoding.ASCII.GetString(header, 257, 5) != "ustar" || Checksum(header) != ParseOctal(header.AsSpan(ChecksumAt, 8)))
                throw Damaged(name, "a header is not a valid ustar header");
            var size = ParseSize(header.AsSpan(124, 12));
            var type = (char)header[TypeAt];
            if (folder is null && type == '2' && Field(header, 0, 100).StartsWith("pg_tblspc/", StringComparison.Ordinal))
            {
                Skip(archive, Padded(size));
                continue;
            }
            if (folder != null) Prefix(header, folder, name);
            output.Write(header);
            Started = true;
            Copy(archive, Padded(size), name);
            if (type is '0' or '\0') fileBytes += size;
        }
    }

    /// <summary>A small file from memory (PostgreSQL's backup_manifest), as a regular file of mode 0600.</summary>
    public void AppendFile(string name, byte[] content)
    {
        var header = new byte[Block];
        Encoding.ASCII.GetBytes(name).CopyTo(header, 0);
        Octal(header, 100, 8, 0x180);
        Octal(header, 108, 8, 0);
        Octal(header, 116, 8, 0);
        Octal(header, 124, 12, content.Length);
        Octal(header, 136, 12, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        header[TypeAt] = (byte)'0';
        Encoding.ASCII.GetBytes("ustar\0" + "00").CopyTo(header, 257);
        SetChecksum(header);
        output.Write(header);
        output.Write(content);
        output.Write(new byte[Padded(content.Length) - content.Length]);
    }

    /// <summary>The end-of-archive marker: two zero blocks.</summary>
    public void Finish() => output.Write(new byte[2 * Block]);

    private static void Prefix(byte[] header, string folder, string archive)
    {
        if (header[PrefixAt] != 0 || folder.Length > PrefixLength)
            throw Damaged(archive, "an entry already uses the ustar prefix field");
        Encoding.ASCII.GetBytes(folder).CopyTo(header, PrefixAt);
        SetChecksum(header);
    }

    private static long Padded(long size) => (size + Block - 1) / Block * Block;

    private void Copy(Stream archive, long count, string name)
    {
        while (count > 0)
        {
            var n = archive.Read(_buffer, 0, (int)Math.Min(_buffer.Length, count));
            if (n == 0) throw Damaged(name, "it ended inside a file (pg_basebackup stopped while writing it)");
            output.Write(_buffer, 0, n);
            count -= n;
        }
    }

    private void Skip(Stream archive, long count)
    {
        while (count > 0)
        {
            var n = archive.Read(_buffer, 0, (int)Math.Min(_buffer.Length, count));
            if (n == 0) return;
            count -= n;
        }
    }

    /// <summary>Reads a whole block unless the stream ends first; returns the bytes read.</summary>
    private static int ReadBlock(Stream archive, byte[] block)
    {
        var read = 0;
        while (read < block.Length)
        {
            var n = archive.Read(block, read, block.Length - read);
            if (n == 0) break;
            read += n;
        }
        return read;
    }

    private static string Field(byte[] header, int at, int length)
    {
        var end = Array.IndexOf(header, (byte)0, at, length);
        return Encoding.UTF8.GetString(header, at, (end < 0 ? at + length : end) - at);
    }

    private static long ParseSize(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) == 0) return ParseOctal(field);
        long value = 0; // base-256 (sizes beyond 8 GiB)
        foreach (var b in field[1..]) value = value << 8 | b;
        return value;
    }

    private static long ParseOctal(ReadOnlySpan<byte> field)
    {
        long value = 0;
        foreach (var b in field)
        {
            if (b is (byte)' ' or 0) { if (value > 0) break; continue; }
            if (b is < (byte)'0' or > (byte)'7') return -1;
            value = value * 8 + (b - '0');
        }
        return value;
    }

    private static long Checksum(byte[] header)
    {
        long sum = 0;
        for (var i = 0; i < Block; i++) sum += i is >= ChecksumAt and < ChecksumAt + 8 ? (byte)' ' : header[i];
        return sum;
    }

    private static void SetChecksum(byte[] header)
    {
        var text = Convert.ToString(Checksum(header), 8).PadLeft(6, '0') + "\0 ";
        Encoding.ASCII.GetBytes(text).CopyTo(header, ChecksumAt);
    }

    private static void Octal(byte[] header, int at, int length, long value) =>
        Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(length - 1, '0') + "\0").CopyTo(header, at);

    private static BackupToolsException Damaged(string archive, string what) =>
        new("PostgresBaseBackupUnreadable", FailureKind.ExternalToolFailure, $"pg_basebackup's {archive} could not be read: {what}; nothing was recorded.",
            "Run the backup again; if it fails again, check the server's log.");
}
