using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.MySqlPhysical;

/// <summary>
/// A physical backup must be a whole mbstream (xbstream) archive: every chunk with the "XBSTCK01" magic and a payload
/// matching its CRC-32, every file closed by its end chunk, and the files mariadb-backup --prepare needs
/// (xtrabackup_checkpoints, backup-my.cnf) present. A truncated or bit-flipped stream fails here, not in --prepare.
/// </summary>
internal sealed class MbstreamValidator : IContentValidator
{
    private static readonly byte[] Magic = "XBSTCK01"u8.ToArray();
    private const byte Payload = (byte)'P', EndOfFile = (byte)'E';
    public static readonly string[] RequiredFiles = ["xtrabackup_checkpoints", "backup-my.cnf"];

    public string Name => "mbstream";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        try { return Read(raw); }
        catch (EndOfStreamException) { throw Damaged("the stream ends inside a chunk header"); }
    }

    private static string Read(Stream raw)
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        var closed = new HashSet<string>(StringComparer.Ordinal);
        long chunks = 0, payloadBytes = 0;
        var header = new byte[14];
        var buffer = new byte[1 << 20];
        var sizes = new byte[20];
        while (true)
        {
            var got = raw.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (got == 0) break;
            if (got < header.Length || !header.AsSpan(0, 8).SequenceEqual(Magic))
                throw Damaged($"chunk {chunks + 1} does not start with the mbstream magic (the stream is cut or damaged)");
            var type = header[9];
            var pathLength = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(10));
            if (pathLength is 0 or > 4096) throw Damaged($"chunk {chunks + 1} names a path of {pathLength} bytes");
            var pathBytes = new byte[pathLength];
            raw.ReadExactly(pathBytes);
            var path = Encoding.UTF8.GetString(pathBytes);
            chunks++;
            if (type == EndOfFile)
            {
                open.Remove(path);
                closed.Add(path);
                continue;
            }
            if (type != Payload) throw Damaged($"chunk {chunks} of {path} has type '{(char)type}', which this version does not read");
            raw.ReadExactly(sizes);
            var length = BinaryPrimitives.ReadInt64LittleEndian(sizes);
            var expected = BinaryPrimitives.ReadUInt32LittleEndian(sizes.AsSpan(16));
            if (length < 0) throw Damaged($"chunk {chunks} of {path} has a negative length");
            var crc = new Crc32();
            for (var left = length; left > 0;)
            {
                var n = raw.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0) throw Damaged($"the stream ends inside chunk {chunks} of {path}");
                crc.Append(buffer.AsSpan(0, n));
                left -= n;
            }
            if (crc.GetCurrentHashAsUInt32() != expected) throw Damaged($"chunk {chunks} of {path} does not match its CRC-32");
            payloadBytes += length;
            open.Add(path);
        }
        if (open.Count > 0) throw Damaged($"{open.Count} file(s) lack their end chunk (first: {open.First()})");
        foreach (var required in RequiredFiles)
            if (!closed.Contains(required))
                throw new BackupIntegrityException("MySqlPhysicalIncomplete", $"The physical backup lacks {required}; mariadb-backup --prepare could not use it.");
        return $"{closed.Count} files in {chunks} chunks ({payloadBytes} bytes), every chunk matching its CRC-32";
    }

    private static BackupIntegrityException Damaged(string what) => new("MySqlPhysicalDamaged", $"The mbstream of the physical backup is damaged: {what}.");
}
