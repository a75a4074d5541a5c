using System.Text.Json.Nodes;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.MySqlPitr;

/// <summary>A hole in a cell's binlog archive: what is missing, between which files.</summary>
public sealed record BinlogGap(string After, string Before, string Reason)
{
    public override string ToString() => $"{After} → {Before}: {Reason}";
}

/// <summary>
/// What a cell's binlog archive holds: every archived segment by file, in order, the batch each is in, and the
/// gaps — a file missing from the numbering, a file whose bytes are not contiguous, or a GTID discontinuity
/// (a file's start state, its Gtid_list event, ahead of the last GTID archived before it).
/// </summary>
public sealed class BinlogArchive
{
    public const string EngineName = "mysql-binlog";

    private readonly SortedDictionary<string, List<(BinlogSegment Segment, BackupManifest Batch)>> _files = new(Comparer<string>.Create(BinlogFileName.Compare));

    public BinlogArchive(IEnumerable<BackupManifest> manifests, string cell)
    {
        foreach (var batch in manifests.Where(m => m.Engine == EngineName && string.Equals(m.Cell, cell, StringComparison.OrdinalIgnoreCase)).OrderBy(m => m.CompletedAt))
            Add(batch);
    }

    public IEnumerable<string> Files => _files.Keys;

    public bool IsEmpty => _files.Count == 0;

    public IReadOnlyList<(BinlogSegment Segment, BackupManifest Batch)> SegmentsOf(string file) => _files.TryGetValue(file, out var list) ? list : [];

    /// <summary>Where the archived bytes of <paramref name="file"/> end (0: nothing archived).</summary>
    public long EndOf(string file) => _files.TryGetValue(file, out var list) ? list.Max(s => s.Segment.End) : 0;

    public bool IsClosed(string file) => _files.TryGetValue(file, out var list) && list.Any(s => s.Segment.Closed);

    /// <summary>The newest archived event's time: what RPO is measured against.</summary>
    public DateTimeOffset? NewestEvent => _files.Values.SelectMany(l => l).Select(s => s.Segment.LastTime).Max();

    public void Add(BackupManifest batch)
    {
        foreach (var segment in Segments(batch))
        {
            if (!_files.TryGetValue(segment.File, out var list)) _files[segment.File] = list = [];
            if (list.Any(s => s.Segment.Start == segment.Start)) continue;
            list.Add((segment, batch));
            list.Sort((a, b) => a.Segment.Start.CompareTo(b.Segment.Start));
        }
    }

    public static IEnumerable<BinlogSegment> Segments(BackupManifest batch) =>
        batch.EngineInfo?["segments"]?.AsArray().Select(n => BinlogSegment.FromJson(n!)) ?? [];

    public static JsonObject Describe(IEnumerable<BinlogSegment> segments) => new()
    {
        ["segments"] = new JsonArray(segments.Select(s => (JsonNode)s.ToJson()).ToArray()),
    };

    /// <summary>Every hole in the archive, oldest first.</summary>
    public IReadOnlyList<BinlogGap> Gaps()
    {
        var gaps = new List<BinlogGap>();
        var lastSeen = new Dictionary<uint, ulong>();
        string? previous = null;
        foreach (var (file, list) in _files)
        {
            long end = 0;
            foreach (var (segment, _) in list)
            {
                if (segment.Start > end) gaps.Add(new BinlogGap(file, file, $"bytes {end}..{segment.Start} of {file} were not archived"));
                end = Math.Max(end, segment.End);
            }
            // A file's Gtid_list event says where the server's GTIDs stood when it began: ahead of what was archived is a hole.
            var startState = list[0].Segment.Start == 0 ? list[0].Segment.StartState : null;
            foreach (var part in (startState ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
                if (Gtid.TryParse(part, out var g) && lastSeen.TryGetValue(g.Domain, out var seen) && g.Sequence > seen)
                    gaps.Add(new BinlogGap(previous ?? file, file, $"GTIDs {g.Domain}-*-{seen + 1}..{g.Sequence} of domain {g.Domain} are not in the archive"));
            if (previous != null)
            {
                if (BinlogFileName.Next(previous) is var expected && BinlogFileName.Compare(expected, file) < 0)
                    gaps.Add(new BinlogGap(previous, file, $"{expected}{(BinlogFileName.Next(expected) == file ? "" : " (and later files)")} missing from the archive"));
                else if (!IsClosed(previous) && startState is null)
                    // A crashed server leaves its file without a rotate/stop event; only the next file's GTID state can vouch for it.
                    gaps.Add(new BinlogGap(previous, file, $"{previous} was not archived to its end"));
            }
            foreach (var (segment, _) in list)
                foreach (var text in new[] { segment.StartState, segment.LastGtid })
                    foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
                        if (Gtid.TryParse(part, out var g)) lastSeen[g.Domain] = Math.Max(lastSeen.GetValueOrDefault(g.Domain), g.Sequence);
            previous = file;
        }
        return gaps;
    }
}
