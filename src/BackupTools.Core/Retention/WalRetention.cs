using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Retention;

/// <summary>
/// WAL batches are not backups to count: each is kept exactly when a kept base backup of its cell needs a file in it
/// (a segment from that base's start on, or a timeline history file), so every retained base backup stays
/// recoverable to any point after it. A cell with WAL but no kept base backup keeps all its WAL: nothing can judge it.
/// </summary>
public sealed class WalRetention : IDependentRetention
{
    public void Keep(IReadOnlyList<BackupManifest> manifests, IReadOnlyList<BackupManifest> wal, Dictionary<string, List<string>> reasons)
    {
        foreach (var cell in wal.GroupBy(m => m.Cell, StringComparer.OrdinalIgnoreCase))
        {
            var keptBases = manifests.Where(m => m.Engine == PgBaseBackupOperation.EngineName && string.Equals(m.Cell, cell.Key, StringComparison.OrdinalIgnoreCase)
                && reasons[m.Id].Count > 0 && m.EngineInfo != null).ToList();
            if (keptBases.Count == 0)
            {
                foreach (var batch in cell) reasons[batch.Id].Add("WAL of a cell without a kept base backup");
                continue;
            }
            var oldest = keptBases.MinBy(m => m.CompletedAt)!;
            var segmentSize = oldest.EngineInfo!["walSegmentSize"]!.GetValue<long>();
            var timeline = oldest.EngineInfo["timeline"]!.GetValue<uint>();
            var first = WalFileName.SegmentOf(WalFileName.ParseLsn(oldest.EngineInfo["startLsn"]!.GetValue<string>()), segmentSize);
            foreach (var batch in cell)
            {
                var needed = WalArchive.Files(batch).Any(f => WalFileName.TryParse(f.Name, out var file)
                    && (file.Kind == WalFileKind.History || (file.Timeline >= timeline && file.Kind != WalFileKind.History && file.SegmentNumber(segmentSize) >= first)));
                if (needed) reasons[batch.Id].Add($"WAL needed by kept base backup {oldest.Id}");
            }
        }
    }
}
