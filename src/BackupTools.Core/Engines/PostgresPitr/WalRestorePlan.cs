using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// Which archived WAL files a recovery from one base backup needs: every segment from the base backup's start
/// segment on (its timeline and later ones), every timeline history file. A hole in the base timeline's sequence
/// is a gap: recovery cannot pass it, so the plan stops there and names the missing range.
/// </summary>
public sealed record WalRestorePlan(IReadOnlyList<string> Files, string? Gap)
{
    public static WalRestorePlan For(WalArchive archive, BackupManifest baseBackup)
    {
        var info = baseBackup.EngineInfo ?? throw new BackupIntegrityException("BaseBackupFactsMissing", $"Base backup {baseBackup.Id} has no engine facts.");
        var segmentSize = info["walSegmentSize"]!.GetValue<long>();
        var timeline = info["timeline"]!.GetValue<uint>();
        var first = WalFileName.SegmentOf(WalFileName.ParseLsn(info["startLsn"]!.GetValue<string>()), segmentSize);

        var files = new List<string>();
        var parsed = archive.Names.Select(n => WalFileName.TryParse(n, out var f) ? f : (WalFileName?)null).OfType<WalFileName>().ToList();
        files.AddRange(parsed.Where(f => f.Kind == WalFileKind.History).Select(f => f.Name));

        // The base timeline: contiguous from the start segment; the first hole ends what recovery can reach on it.
        var onBase = parsed.Where(f => f.Kind == WalFileKind.Segment && f.Timeline == timeline).Select(f => f.SegmentNumber(segmentSize))
            .Where(n => n >= first).ToHashSet();
        string? gap = null;
        // No archived segment from the start on: the base backup's own WAL (-X fetch) is all there is; not a gap.
        var last = onBase.Count == 0 ? 0 : onBase.Max();
        var end = onBase.Count == 0 ? first : last + 1; // the first segment the archive lacks in full on the base timeline
        for (var next = first; onBase.Count > 0 && next <= last; next++)
        {
            if (onBase.Contains(next)) { files.Add(WalFileName.SegmentName(timeline, next, segmentSize)); continue; }
            end = next;
            var resume = onBase.Where(n => n > next).Min();
            gap = $"{WalFileName.SegmentName(timeline, next, segmentSize)}" + (resume - 1 > next ? $" … {WalFileName.SegmentName(timeline, resume - 1, segmentSize)}" : "")
                + $" missing on timeline {timeline} (the archive resumes at {WalFileName.SegmentName(timeline, resume, segmentSize)})";
            break;
        }
        // Later timelines (after a promotion) continue from their switch point; .partial files are never replayed.
        if (gap is null)
            files.AddRange(parsed.Where(f => f.Kind == WalFileKind.Segment && f.Timeline > timeline && f.SegmentNumber(segmentSize) >= first).Select(f => f.Name));
        files.AddRange(Snapshots(parsed, timeline, end, gap is null, segmentSize));
        return new WalRestorePlan(files.Distinct().Order(StringComparer.Ordinal).ToList(), gap);
    }

    /// <summary>
    /// The streaming archiver's newest snapshot of a segment the archive lacks in full carries recovery into it: the one
    /// where the base timeline's run ends, and (no gap) the one after the last segment of each later timeline.
    /// </summary>
    private static IEnumerable<string> Snapshots(List<WalFileName> parsed, uint timeline, ulong end, bool followLater, long segmentSize)
    {
        var full = parsed.Where(f => f.Kind == WalFileKind.Segment).Select(f => (f.Timeline, f.SegmentNumber(segmentSize))).ToHashSet();
        return parsed.Where(f => f.Kind == WalFileKind.StreamSnapshot && !full.Contains((f.Timeline, f.SegmentNumber(segmentSize))))
            .Where(f => f.Timeline == timeline ? f.SegmentNumber(segmentSize) == end : followLater && f.Timeline > timeline
                && !full.Contains((f.Timeline, f.SegmentNumber(segmentSize) + 1)))
            .GroupBy(f => (f.Timeline, f.Segment)).Select(g => g.MaxBy(f => f.SnapshotBytes).Name);
    }

    /// <summary>The name a file is staged under for recovery: a snapshot stands in for its segment.</summary>
    public static string StagedName(string archived) =>
        WalFileName.TryParse(archived, out var f) && f.Kind == WalFileKind.StreamSnapshot ? f.SegmentFileName : archived;
}
