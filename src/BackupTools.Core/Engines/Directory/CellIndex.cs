using System.Text;
using System.Text.Json;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Directory;

/// <summary>
/// The complete listing of a cell's tree at backup time, stored beside the data as the "index" object
/// (JSON lines). Incrementals diff against it; restores use the final one to make the tree exact
/// (deletions included). Memory: about 200 bytes per entry.
/// </summary>
public sealed class CellIndex
{
    public const string ObjectRole = "index";
    private const string Header = "{\"format\":\"backuptools-cell-index\",\"version\":1}";
    private readonly Dictionary<string, CellEntry> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;
    public IEnumerable<CellEntry> Entries => _entries.Values;
    public bool TryGet(string path, out CellEntry entry) => _entries.TryGetValue(path, out entry!);
    public bool Contains(string path) => _entries.ContainsKey(path);
    public void Add(CellEntry entry) => _entries[entry.Path] = entry;

    public void WriteTo(Stream stream)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        writer.WriteLine(Header);
        foreach (var e in _entries.Values.OrderBy(e => e.Path, StringComparer.Ordinal))
            writer.WriteLine(JsonSerializer.Serialize(new IndexLine(e.Path, Code(e.Kind), e.Size, e.ModifiedTicks, e.Mode, e.LinkTarget, e.Uid, e.Gid)));
    }

    public static CellIndex ReadFrom(Stream stream)
    {
        var index = new CellIndex();
        using var reader = new StreamReader(stream, Encoding.UTF8, false, 1 << 16, leaveOpen: true);
        if (reader.ReadLine() != Header)
            throw new BackupIntegrityException("CellIndexMalformed", "The cell index object has an unknown header.");
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            var l = JsonSerializer.Deserialize<IndexLine>(line)
                ?? throw new BackupIntegrityException("CellIndexMalformed", "The cell index has an empty line.");
            index.Add(new CellEntry(l.p, Kind(l.k), l.s, l.m, l.mode, l.t, l.u, l.g));
        }
        return index;
    }

    private static string Code(CellEntryKind kind) => kind switch
    {
        CellEntryKind.Directory => "d",
        CellEntryKind.Symlink => "l",
        _ => "f",
    };

    private static CellEntryKind Kind(string code) => code switch
    {
        "d" => CellEntryKind.Directory,
        "l" => CellEntryKind.Symlink,
        "f" => CellEntryKind.File,
        _ => throw new BackupIntegrityException("CellIndexMalformed", $"Unknown entry kind '{code}' in the cell index."),
    };

    // Short names keep the index small for trees with millions of files.
    private sealed record IndexLine(string p, string k, long s, long m, int mode, string? t, int u, int g);
}
