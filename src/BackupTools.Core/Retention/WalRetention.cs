using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Retention;

/// <summary>
/// WAL batches are not backups to count: each is kept exactly when a kept base backup of its cell needs a file in it
/// (a segment from that base's start on, or a timeline history file), so every retained base backup stays
/// recoverable to any point after it. A cell with WAL but no kept base backup keeps all its WAL: nothing can judge it.
/// Either way a batch of stream snapshots only, each superseded — its segment archived in full, or a longer snapshot
/// of it archived — goes: recovery stages the full segment or the newest snapshot, which hold every byte it had.
/// </summary>
public sealed class WalRetention : IDependentRetention
{
    public void Keep(IReadOnlyList<BackupManifest> manifests, IReadOnlyList<BackupManifest> wal, Dictionary<string, List<string>> reasons)
    {
        foreach (var group in wal.GroupBy(m => m.Cell, StringComparer.OrdinalIgnoreCase))
        {
            var superseded = SupersededSnapshots(group);
            var useful = group.Where(batch => !WalArchive.Files(batch).Any() || !WalArchive.Files(batch).All(f => superseded.Contains(f.Name))).ToList();
            var keptBases = manifests.Where(m => m.Engine == PgBaseBackupOperation.EngineName && string.Equals(m.Cell, group.Key, StringComparison.OrdinalIgnoreCase)
                && reasons[m.Id].Count > 0 && m.EngineInfo != null).ToList();
            if (keptBases.Count == 0)
            {
                foreach (var batch in useful) reasons[batch.Id].Add("WAL of a cell without a kept base backup");
                continue;
            }
            var oldest = keptBases.MinBy(m => m.CompletedAt)!;
            var segmentSize = oldest.EngineInfo!["walSegmentSize"]!.GetValue<long>();
            var timeline = oldest.EngineInfo["timeline"]!.GetValue<uint>();
            var first = WalFileName.SegmentOf(WalFileName.ParseLsn(oldest.EngineInfo["startLsn"]!.GetValue<string>()), segmentSize);
            foreach (var batch in useful)
            {
                var needed = WalArchive.Files(batch).Any(f => WalFileName.TryParse(f.Name, out var file)
                    && (file.Kind == WalFileKind.History || (file.Timeline >= timeline && file.Kind != WalFileKind.History && file.SegmentNumber(segmentSize) >= first)));
                if (needed) reasons[batch.Id].Add($"WAL needed by kept base backup {oldest.Id}");
            }
        }
    }

    /// <summary>Stream snapshots whose bytes another archived file holds too: the full segment, or a longer snapshot of it.</summary>
    private static HashSet<string> SupersededSnapshots(IEnumerable<BackupManifest> batches)
    {
        var files = batches.SelectMany(WalArchive.Files).Select(f => WalFileName.TryParse(f.Name, out var name) ? name : (WalFileName?)null).OfType<WalFileName>().ToList();
        var segments = files.Where(f => f.Kind == WalFileKind.Segment).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var longest = files.Where(f => f.Kind == WalFileKind.StreamSnapshot).GroupBy(f => f.SegmentFileName)
            .ToDictionary(g => g.Key, g => g.Max(f => f.SnapshotBytes), StringComparer.Ordinal);
        return files.Where(f => f.Kind == WalFileKind.StreamSnapshot && (segments.Contains(f.SegmentFileName) || f.SnapshotBytes < longest[f.SegmentFileName]))
            .Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
    }
}
