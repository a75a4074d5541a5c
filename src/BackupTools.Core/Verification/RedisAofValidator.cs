using System.IO.Pipelines;
using System.Text;
using BackupTools.Core.Engines.Directory.Tar;
using BackupTools.Core.Engines.Redis;
using BackupTools.Core.Engines.Redis.Rdb;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>
/// An AOF set must be whole: the tar ends properly, the AOF manifest parses and every file it lists is
/// there; an RDB base is walked to its checksum, command files parse as RESP to their end (only the very
/// last command of the last file may be cut, which Redis loads with aof-load-truncated).
/// </summary>
internal sealed class RedisAofValidator : IContentValidator
{
    public string Name => "aof-set";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        var reader = new TarReader(raw);
        var names = new List<string>();
        IReadOnlyList<RedisAofFile>? listed = null;
        long commands = 0, keys = 0;
        string? cut = null;
        while (reader.Next() is { } entry)
        {
            var name = entry.Header.Path;
            names.Add(name);
            if (name.EndsWith(".manifest", StringComparison.Ordinal))
            {
                try { listed = RedisAofManifest.Live(RedisAofManifest.Parse(Encoding.UTF8.GetString(entry.ReadAllBytes()))); }
                catch (FormatException e) { throw new BackupIntegrityException("RedisAofManifestInvalid", $"The AOF manifest in the backup is unreadable: {e.Message}."); }
            }
            else if (name.EndsWith(".rdb", StringComparison.Ordinal))
            {
                keys += Pull(entry, s => RdbReader.Read(s).Keys, name);
            }
            else
            {
                var (count, tail) = Pull(entry, RespWalker.Walk, name);
                commands += count;
                if (tail > 0) cut = $"{name} ends with {tail} bytes of a cut command";
            }
        }
        if (listed != null)
        {
            var missing = listed.Select(f => f.Name).Except(names).ToList();
            if (missing.Count > 0) throw new BackupIntegrityException("RedisAofFileMissing", $"The AOF set lacks {string.Join(", ", missing)}, which its manifest lists.");
            if (cut != null && !cut.StartsWith(listed[^1].Name + " ", StringComparison.Ordinal))
                throw new BackupIntegrityException("RedisAofTruncated", $"{cut}, but only the last file may end that way.");
        }
        return $"{names.Count} file(s); base {keys} keys, {commands} commands" + (cut != null ? $"; {cut} (loaded with aof-load-truncated)" : "");
    }

    /// <summary>Feeds a tar entry through an in-memory pipe (bounded) to a pull-style reader on another thread.</summary>
    private static T Pull<T>(TarEntry entry, Func<Stream, T> read, string name)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        var task = Task.Run(() =>
        {
            using var input = pipe.Reader.AsStream();
            try { return read(input); }
            finally { input.CopyTo(Stream.Null); } // keep the writer from blocking when the reader stopped early
        });
        using (var output = pipe.Writer.AsStream()) entry.CopyDataTo(output);
        try { return task.GetAwaiter().GetResult(); }
        catch (RdbFormatException e) { throw new BackupIntegrityException("RedisAofBaseInvalid", $"The AOF base {name} {e.Message} (offset {e.Offset})."); }
        catch (FormatException e) { throw new BackupIntegrityException("RedisAofInvalid", $"{name}: {e.Message}."); }
    }
}

/// <summary>Walks RESP command arrays (*n, then n $len bulks); returns the count and the length of a cut command at the end (0 if none).</summary>
internal static class RespWalker
{
    public static (long Commands, long CutTail) Walk(Stream input)
    {
        var buffered = new BufferedStream(input, 1 << 20); // not disposed: the caller drains and owns the input
        long commands = 0, offset = 0;
        while (true)
        {
            var start = offset;
            var first = buffered.ReadByte();
            if (first < 0) return (commands, 0);
            offset++;
            try
            {
                if (first != '*') throw new FormatException($"byte {start} is '{(char)first}', not the start of a command");
                var items = Number(buffered, ref offset);
                for (var i = 0; i < items; i++)
                {
                    if (Next(buffered, ref offset) != '$') throw new FormatException($"command at byte {start} has an argument that is not a bulk string");
                    var length = Number(buffered, ref offset);
                    Skip(buffered, length, ref offset);
                    if (Next(buffered, ref offset) != '\r' || Next(buffered, ref offset) != '\n') throw new FormatException($"bulk at byte {offset} is not terminated");
                }
                commands++;
            }
            catch (EndOfStreamException)
            {
                return (commands, offset - start);
            }
        }
    }

    private static int Next(Stream s, ref long offset)
    {
        var b = s.ReadByte();
        if (b < 0) throw new EndOfStreamException();
        offset++;
        return b;
    }

    private static long Number(Stream s, ref long offset)
    {
        long value = 0;
        int b;
        while ((b = Next(s, ref offset)) != '\r')
        {
            if (b is < '0' or > '9') throw new FormatException($"bad length digit at byte {offset - 1}");
            value = value * 10 + (b - '0');
        }
        if (Next(s, ref offset) != '\n') throw new FormatException($"bad line end at byte {offset - 1}");
        return value;
    }

    private static void Skip(Stream s, long count, ref long offset)
    {
        Span<byte> scratch = stackalloc byte[4096];
        while (count > 0)
        {
            var n = s.Read(scratch[..(int)Math.Min(scratch.Length, count)]);
            if (n == 0) throw new EndOfStreamException();
            count -= n;
            offset += n;
        }
    }
}
