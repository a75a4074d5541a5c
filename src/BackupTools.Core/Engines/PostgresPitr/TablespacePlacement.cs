using System.Globalization;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// Where a restore puts one tablespace of the base backup: Target is its final location (the original one, or what
/// -TablespaceMap names), Build where it is recovered and proven — Target itself for a side restore, Target.bt-staging
/// in place, swapped in only once the recovered server ran (the old folder kept beside it, like the data directory).
/// </summary>
public sealed record TablespacePlacement(PgTablespace Tablespace, string Target, string Build)
{
    public const string MapParameter = "TablespaceMap";

    public bool Staged => Build != Target;

    /// <summary>
    /// One placement per tablespace of the backup. A location that is not empty is refused — in place only the
    /// tablespace's own original location may be (the stopped cluster's, kept as the safety copy).
    /// </summary>
    public static IReadOnlyList<TablespacePlacement> Plan(IReadOnlyList<PgTablespace> tablespaces, IReadOnlyDictionary<string, string>? map, bool inPlace, string dataDir)
    {
        var mapped = Resolve(tablespaces, map ?? new Dictionary<string, string>());
        var placements = new List<TablespacePlacement>();
        foreach (var tablespace in tablespaces)
        {
            var target = mapped.TryGetValue(tablespace.Oid, out var path) ? path : tablespace.Location.TrimEnd('/');
            var original = target == tablespace.Location.TrimEnd('/');
            if (inPlace)
            {
                if (!original && NotEmpty(target))
                    throw new BackupInputException("RestoreTablespaceNotEmpty", MapParameter, $"tablespace '{tablespace.Name}' would go to '{target}', which is not empty; nothing was changed.",
                        "Map it to a new (or empty) folder.");
                var build = target + ".bt-staging";
                if (NotEmpty(build))
                    throw new BackupInputException("RestoreDestinationNotEmpty", MapParameter, $"'{build}' (where tablespace '{tablespace.Name}' would be staged) exists and is not empty.",
                        "Remove what an interrupted restore left there, or map the tablespace elsewhere.");
                placements.Add(new TablespacePlacement(tablespace, target, build));
            }
            else
            {
                if (NotEmpty(target))
                    throw new BackupInputException("RestoreTablespaceNotEmpty", MapParameter,
                        $"tablespace '{tablespace.Name}' (oid {tablespace.Oid}) would be restored to '{target}'{(original ? ", its original location," : "")} which is not empty; a side restore never overwrites anything.",
                        $"Map it to a new folder: -{MapParameter} @{{ '{tablespace.Name}' = '/new/folder' }} (every tablespace whose location is in use needs one).");
                placements.Add(new TablespacePlacement(tablespace, target, target));
            }
        }
        var clash = placements.GroupBy(p => p.Target, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (clash != null)
            throw new BackupInputException("TablespaceMapInvalid", MapParameter, $"tablespaces {string.Join(" and ", clash.Select(p => $"'{p.Tablespace.Name}'"))} would share '{clash.Key}'.", "Give each its own folder.");
        if (placements.FirstOrDefault(p => Inside(p.Target, dataDir) || Inside(dataDir, p.Target)) is { } nested)
            throw new BackupInputException("TablespaceMapInvalid", MapParameter, $"tablespace '{nested.Tablespace.Name}' would go to '{nested.Target}', which overlaps the data directory '{dataDir}'.", "Put tablespaces outside the data directory.");
        return placements;
    }

    /// <summary>-TablespaceMap keys: a tablespace's name or oid; values: absolute folders.</summary>
    private static Dictionary<uint, string> Resolve(IReadOnlyList<PgTablespace> tablespaces, IReadOnlyDictionary<string, string> map)
    {
        var known = tablespaces.Count == 0 ? "the base backup has no tablespaces" : "its tablespaces are " + string.Join(", ", tablespaces.Select(t => $"{t.Name} (oid {t.Oid})"));
        var resolved = new Dictionary<uint, string>();
        foreach (var (key, value) in map)
        {
            var tablespace = tablespaces.FirstOrDefault(t => t.Name == key) ?? tablespaces.FirstOrDefault(t => t.Oid.ToString(CultureInfo.InvariantCulture) == key)
                ?? tablespaces.FirstOrDefault(t => string.Equals(t.Name, key, StringComparison.OrdinalIgnoreCase))
                ?? throw new BackupInputException("TablespaceMapUnknown", MapParameter, $"'{key}' is not a tablespace of the base backup; {known}.", "Key the map by a tablespace's name or oid.");
            if (!Path.IsPathRooted(value) || value.IndexOfAny(['\n', '\r']) >= 0)
                throw new BackupInputException("TablespaceMapInvalid", MapParameter, $"the folder for '{key}' must be an absolute path on one line (got '{value}').", "Pass e.g. @{ hot = '/srv/pg/hot-restored' }.");
            if (!resolved.TryAdd(tablespace.Oid, Path.GetFullPath(value).TrimEnd('/')))
                throw new BackupInputException("TablespaceMapInvalid", MapParameter, $"tablespace '{tablespace.Name}' is mapped twice.", "Map each tablespace once.");
        }
        return resolved;
    }

    /// <summary>The tablespace_map a recovering server reads at start (and makes its pg_tblspc links from): one line per tablespace, PostgreSQL's escaping.</summary>
    public static string TablespaceMap(IEnumerable<TablespacePlacement> placements)
    {
        var text = new StringBuilder();
        foreach (var placement in placements)
        {
            text.Append(placement.Tablespace.Oid.ToString(CultureInfo.InvariantCulture)).Append(' ');
            foreach (var c in placement.Build)
            {
                if (c is '\\' or '\n' or '\r') text.Append('\\');
                text.Append(c);
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    public string Describe() => $"{Tablespace.Name} (oid {Tablespace.Oid}, {Tablespace.Bytes / (1024.0 * 1024):0.#} MiB) → {Target}";

    private static bool NotEmpty(string path) => File.Exists(path) || (System.IO.Directory.Exists(path) && System.IO.Directory.EnumerateFileSystemEntries(path).Any());

    private static bool Inside(string path, string folder) => (path.TrimEnd('/') + "/").StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);
}
