using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BackupTools.Core.Engines.Directory.Tar;
using BackupTools.Core.Errors;
using BackupTools.Core.Posix;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// The complete listing of a cell's tree at backup time, stored beside the data as the "index" object
/// (JSON lines). Incrementals diff against it; restores use the final one to make the tree exact
/// (deletions included). Memory: about 200 bytes per entry.
/// </summary>
public sealed class CellIndex
{
    public const string ObjectRole = "index";
    /// <summary>The same index, readable by a write-only host (key pairs, format 1): what its next incremental compares with.</summary>
    public const string StateRole = "state";
    public const string EscapesErrorId = "CellIndexEntryEscapes";
    public const string MalformedErrorId = "CellIndexMalformed";
    private const string HeaderV1 = "{\"format\":\"backuptools-cell-index\",\"version\":1}";
    // Version 2 adds only pb/tb: the base64 bytes of names that are not UTF-8. It is written only when a tree
    // has such a name, so every other index stays readable by version-1 readers.
    private const string HeaderV2 = "{\"format\":\"backuptools-cell-index\",\"version\":2}";
    private readonly Dictionary<string, CellEntry> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;
    public IEnumerable<CellEntry> Entries => _entries.Values;
    public bool TryGet(string path, out CellEntry entry) => _entries.TryGetValue(path, out entry!);
    public bool Contains(string path) => _entries.ContainsKey(path);
    public void Add(CellEntry entry) => _entries[entry.Path] = entry;

    public void WriteTo(Stream stream)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        var binary = _entries.Values.Any(e => PosixNames.HasEscapedBytes(e.Path) || (e.LinkTarget is { } t && PosixNames.HasEscapedBytes(t)));
        writer.WriteLine(binary ? HeaderV2 : HeaderV1);
        foreach (var e in _entries.Values.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            var (p, pb) = Field(e.Path);
            var (t, tb) = e.LinkTarget is null ? (null, null) : Field(e.LinkTarget);
            writer.WriteLine(JsonSerializer.Serialize(new IndexLine(p, Code(e.Kind), e.Size, e.ModifiedTicks, e.Mode, t, e.Uid, e.Gid, pb, tb)));
        }
    }

    /// <summary>
    /// Reads and checks the whole index before anyone acts on it: every path must stay inside the tree (the
    /// same rule as tar entries) and hang below a directory listed before it, so a crafted index cannot name
    /// a place outside the restore or reach it through a symlink.
    /// </summary>
    public static CellIndex ReadFrom(Stream stream)
    {
        var index = new CellIndex();
        using var reader = new StreamReader(stream, Encoding.UTF8, false, 1 << 16, leaveOpen: true);
        var header = reader.ReadLine();
        if (header != HeaderV1 && header != HeaderV2)
            throw Malformed("it has an unknown header (written by a newer version, or not a cell index).");
        string? line;
        var number = 1;
        while ((line = reader.ReadLine()) != null)
        {
            number++;
            IndexLine? l;
            try
            {
                l = JsonSerializer.Deserialize<IndexLine>(line);
            }
            catch (JsonException e)
            {
                throw Malformed($"line {number} is not a valid entry ({e.Message}).");
            }
            if (l is null) throw Malformed($"line {number} is empty.");
            var path = Name(l.p, l.pb, "path", number) ?? throw Malformed($"line {number} has no path.");
            var target = Name(l.t, l.tb, "link target", number);
            index.Admit(new CellEntry(path, Kind(l.k), l.s, l.m, l.mode, target, l.u, l.g), number);
        }
        if (index.Count == 0) throw Malformed("it lists no entries, not even the cell's root.");
        return index;
    }

    private void Admit(CellEntry entry, int number)
    {
        var path = entry.Path;
        if (path.Length == 0)
        {
            if (Count != 0 || entry.Kind != CellEntryKind.Directory)
                throw Malformed($"line {number}: the cell's root must be the first entry and a directory.");
        }
        else
        {
            if (!TarPathGuard.TryNormalize(path, out var normal) || normal != path)
                throw new BackupIntegrityException(EscapesErrorId,
                    $"The cell index lists '{PosixNames.Display(path)}', a path that is absolute, climbs out with '..' or is malformed: it would lie outside the restored tree.",
                    "The index object was crafted or damaged; restore from another backup and inspect this one.");
            var slash = path.LastIndexOf('/');
            var parent = slash < 0 ? "" : path[..slash];
            if (!TryGet(parent, out var above) || above.Kind != CellEntryKind.Directory)
                throw new BackupIntegrityException(EscapesErrorId,
                    $"The cell index lists '{PosixNames.Display(path)}' below '{PosixNames.Display(parent)}', which is not a directory listed before it (a symlink there would lead outside the restored tree).",
                    "The index object was crafted or damaged; restore from another backup and inspect this one.");
            if (Contains(path)) throw Malformed($"line {number} lists '{PosixNames.Display(path)}' a second time.");
        }
        if (entry.Mode is < 0 or > 0xFFF || entry.Size < 0)
            throw Malformed($"line {number} ('{PosixNames.Display(path)}') has an impossible mode or size.");
        if ((entry.Kind == CellEntryKind.Symlink) != (entry.LinkTarget is { Length: > 0 }) || entry.LinkTarget?.Contains('\0') == true)
            throw Malformed($"line {number} ('{PosixNames.Display(path)}') has a link target that does not fit its kind.");
        Add(entry);
    }

    private static (string? Text, string? Base64) Field(string value) =>
        PosixNames.HasEscapedBytes(value) ? (PosixNames.Display(value), Convert.ToBase64String(PosixNames.ToBytes(value))) : (value, null);

    private static string? Name(string? text, string? base64, string what, int number)
    {
        if (base64 is null) return text;
        try
        {
            return PosixNames.FromBytes(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            throw Malformed($"line {number} has a {what} that is not valid base64.");
        }
    }

    private static BackupIntegrityException Malformed(string what) =>
        new(MalformedErrorId, $"The cell index object is malformed: {what}", "The index object was damaged or crafted; restore from another backup and inspect this one.");

    private static string Code(CellEntryKind kind) => kind switch
    {
        CellEntryKind.Directory => "d",
        CellEntryKind.Symlink => "l",
        _ => "f",
    };

    private static CellEntryKind Kind(string? code) => code switch
    {
        "d" => CellEntryKind.Directory,
        "l" => CellEntryKind.Symlink,
        "f" => CellEntryKind.File,
        _ => throw Malformed($"unknown entry kind '{code}'."),
    };

    // Short names keep the index small for trees with millions of files. pb/tb (bytes of non-UTF-8 names)
    // are left out when null, so an index without such names is byte-for-byte what version 1 wrote.
    private sealed record IndexLine(string? p, string? k, long s, long m, int mode, string? t, int u, int g,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? pb = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? tb = null);
}
