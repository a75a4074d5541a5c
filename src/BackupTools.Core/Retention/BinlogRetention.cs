using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.MySqlPhysical;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Retention;

/// <summary>
/// Binlog batches are not backups to count: each is kept exactly when a kept backup of the same server — a dump
/// (Backup-MySql, in its database's cell) or a physical backup (usually in the archive's own cell) — needs a file in it:
/// the file the backup recorded its binlog position in, or a later one (replay stages a file whole, from its start).
/// A binlog archive without a kept backup of its server keeps all its batches: nothing can judge them.
/// </summary>
public sealed class BinlogRetention : IDependentRetention
{
    public void Keep(IReadOnlyList<BackupManifest> manifests, IReadOnlyList<BackupManifest> binlog, Dictionary<string, List<string>> reasons)
    {
        foreach (var cell in binlog.GroupBy(m => m.Cell, StringComparer.OrdinalIgnoreCase))
        {
            var servers = cell.Select(m => ServerOf(m.Source)).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
            var keptBases = manifests.Where(m => m.Engine is MySqlBackupOperation.EngineName or MySqlPhysicalBackupOperation.EngineName
                    && reasons[m.Id].Count > 0 && m.EngineInfo?["binlogFile"]?.GetValue<string>() is not null
                    && (string.Equals(m.Cell, cell.Key, StringComparison.OrdinalIgnoreCase) || ServerOf(m.Source) is { } server && servers.Contains(server)))
                .ToList();
            if (keptBases.Count == 0)
            {
                foreach (var batch in cell) reasons[batch.Id].Add("binlog of a server without a kept backup");
                continue;
            }
            var oldest = keptBases.MinBy(m => m.EngineInfo!["binlogFile"]!.GetValue<string>(), Comparer<string>.Create(BinlogFileName.Compare))!;
            var from = oldest.EngineInfo!["binlogFile"]!.GetValue<string>();
            foreach (var batch in cell)
                if (BinlogArchive.Segments(batch).Any(s => BinlogFileName.Compare(s.File, from) >= 0))
                    reasons[batch.Id].Add($"binlog needed by kept backup {oldest.Id} (from {from})");
        }
    }

    /// <summary>host:port of a mysql://[user@]host:port[/database] source; null for anything else.</summary>
    public static string? ServerOf(string source) =>
        Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme == "mysql" ? $"{uri.Host}:{(uri.Port < 0 ? MySqlTarget.DefaultPort : uri.Port)}" : null;
}
