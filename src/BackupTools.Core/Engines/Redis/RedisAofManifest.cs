using System.Text;

namespace BackupTools.Core.Engines.Redis;

/// <summary>One file of a Redis 7 multi-part AOF: base (b), incremental (i) or history (h, about to be deleted).</summary>
public sealed record RedisAofFile(string Name, long Sequence, char Type);

/// <summary>
/// Redis 7's appendonly manifest ("file appendonly.aof.1.base.rdb seq 1 type b" per line): which files,
/// in which order, make up the append-only data. Servers before 7.0 have a single appendonly.aof instead.
/// </summary>
public static class RedisAofManifest
{
    public static IReadOnlyList<RedisAofFile> Parse(string text)
    {
        var files = new List<RedisAofFile>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var parts = Tokens(line);
            var fields = new Dictionary<string, string>();
            for (var i = 0; i + 1 < parts.Count; i += 2) fields[parts[i]] = parts[i + 1];
            if (!fields.TryGetValue("file", out var name) || !fields.TryGetValue("seq", out var seq) || !fields.TryGetValue("type", out var type)
                || !long.TryParse(seq, out var sequence) || type.Length != 1 || name.Contains('/'))
                throw new FormatException($"unreadable AOF manifest line '{line}'");
            files.Add(new RedisAofFile(name, sequence, type[0]));
        }
        if (!files.Any(f => f.Type == 'b') && !files.Any(f => f.Type == 'i'))
            throw new FormatException("the AOF manifest lists no base or incremental file");
        return files;
    }

    /// <summary>The files a server loads, in load order: the base, then the incremental files by sequence.</summary>
    public static IReadOnlyList<RedisAofFile> Live(IReadOnlyList<RedisAofFile> files) =>
        files.Where(f => f.Type == 'b').Concat(files.Where(f => f.Type == 'i').OrderBy(f => f.Sequence)).ToList();

    /// <summary>Names may be quoted (sds-escaped) when they hold spaces.</summary>
    private static List<string> Tokens(string line)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '"') { quoted = !quoted; continue; }
            if (c == ' ' && !quoted) { if (current.Length > 0) { tokens.Add(current.ToString()); current.Clear(); } continue; }
            current.Append(c);
        }
        if (current.Length > 0) tokens.Add(current.ToString());
        return tokens;
    }
}
