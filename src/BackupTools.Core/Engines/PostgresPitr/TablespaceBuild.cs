namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// The tablespaces of one restore on disk: their folders (Build), the data directory's pg_tblspc/&lt;oid&gt; links to
/// them, the tablespace_map the recovering server reads, and — in place — the swap to their final locations after
/// the server was proven, the replaced folders kept. Removes only folders it created.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // PostgreSQL data directories: POSIX modes and links
internal sealed class TablespaceBuild(IReadOnlyList<TablespacePlacement> placements, string dataDir)
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly List<string> _created = [];

    private string Link(TablespacePlacement p) => Path.Combine(dataDir, p.Tablespace.ArchiveFolder);

    public void Create()
    {
        if (placements.Count == 0) return;
        System.IO.Directory.CreateDirectory(Path.Combine(dataDir, "pg_tblspc"), Private);
        foreach (var placement in placements)
        {
            if (!System.IO.Directory.Exists(placement.Build)) _created.Add(placement.Build);
            System.IO.Directory.CreateDirectory(placement.Build, Private);
            File.SetUnixFileMode(placement.Build, Private); // PostgreSQL wants its folders private
            File.CreateSymbolicLink(Link(placement), placement.Build);
        }
    }

    /// <summary>base.tar's own pg_tblspc/&lt;oid&gt; link (to the source's location): replaced by ours.</summary>
    public bool IsLink(string entryName) => placements.Any(p => entryName.TrimEnd('/') == p.Tablespace.ArchiveFolder);

    /// <summary>A tablespace file of the backup's tar: the folder it is restored under and its path there; null for the data directory's own.</summary>
    public (string Root, string Name)? Locate(string entryName) =>
        placements.FirstOrDefault(p => entryName.StartsWith(p.Tablespace.ArchiveFolder + "/", StringComparison.Ordinal)) is { } placement
            ? (placement.Build, entryName[(placement.Tablespace.ArchiveFolder.Length + 1)..])
            : null;

    /// <summary>
    /// tablespace_map names where the recovering server links each tablespace: it must be where it was built — never
    /// the source's location, which in place is the stopped cluster's own tablespace.
    /// </summary>
    public void WriteMap()
    {
        if (placements.Count > 0) File.WriteAllText(Path.Combine(dataDir, "tablespace_map"), TablespacePlacement.TablespaceMap(placements));
    }

    /// <summary>In place, after the proof: each staged tablespace into its location (what was there renamed with <paramref name="stamp"/>), its link moved along. Returns replaced → kept.</summary>
    public IReadOnlyDictionary<string, string> SwapIn(string stamp)
    {
        var kept = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var placement in placements.Where(p => p.Staged))
        {
            if (System.IO.Directory.Exists(placement.Target))
            {
                if (System.IO.Directory.EnumerateFileSystemEntries(placement.Target).Any())
                {
                    System.IO.Directory.Move(placement.Target, placement.Target + stamp);
                    kept[placement.Target] = placement.Target + stamp;
                }
                else System.IO.Directory.Delete(placement.Target);
            }
            System.IO.Directory.Move(placement.Build, placement.Target);
            _created.Remove(placement.Build);
            File.Delete(Link(placement));
            File.CreateSymbolicLink(Link(placement), placement.Target);
        }
        return kept;
    }

    /// <summary>The replaced cluster's links to tablespaces that were moved aside now point at them: started again, it finds its own data.</summary>
    public static void Relink(string previousDataDir, IReadOnlyDictionary<string, string> kept)
    {
        var links = Path.Combine(previousDataDir, "pg_tblspc");
        if (kept.Count == 0 || !System.IO.Directory.Exists(links)) return;
        foreach (var link in System.IO.Directory.EnumerateFileSystemEntries(links))
        {
            if (new FileInfo(link).LinkTarget is not { } to || !kept.TryGetValue(to.TrimEnd('/'), out var moved)) continue;
            File.Delete(link);
            File.CreateSymbolicLink(link, moved);
        }
    }

    public void RemoveBuilt()
    {
        foreach (var folder in _created)
            try { System.IO.Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }
}
