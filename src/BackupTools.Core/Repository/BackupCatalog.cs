using BackupTools.Core.Operations;

namespace BackupTools.Core.Repository;

public sealed record BackupQuery(
    IReadOnlyCollection<string>? Cells = null,
    IReadOnlyCollection<string>? Sources = null,
    IReadOnlyCollection<BackupKind>? Kinds = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    IReadOnlyCollection<string>? Ids = null,
    bool LatestPerCell = false,
    bool IncludeSafety = false);

/// <summary>Get-Backup's filters over the manifests; results oldest first.</summary>
public static class BackupCatalog
{
    public static IReadOnlyList<BackupRecord> Query(BackupRepository repository, BackupQuery query, IOperationObserver observer, CancellationToken cancel = default)
    {
        IEnumerable<BackupManifest> found = repository.ListBackups(observer, cancel);
        if (query.Ids is { Count: > 0 }) found = found.Where(m => query.Ids.Contains(m.Id));
        if (query.Cells is { Count: > 0 }) found = found.Where(m => query.Cells.Contains(m.Cell, StringComparer.OrdinalIgnoreCase));
        if (query.Sources is { Count: > 0 }) found = found.Where(m => query.Sources.Any(s => string.Equals(s, m.Source, StringComparison.Ordinal) || string.Equals(s, m.Engine, StringComparison.OrdinalIgnoreCase)));
        if (query.Kinds is { Count: > 0 }) found = found.Where(m => query.Kinds.Contains(m.Kind));
        if (query.Since is { } since) found = found.Where(m => m.StartedAt >= since);
        if (query.Until is { } until) found = found.Where(m => m.StartedAt <= until);
        // A restore's safety backup is the newest backup of its target, but not a restore point: -Latest | Restore-…
        // must not pick it (nor pick one per target when that adds the safety backups' cells).
        if (query.LatestPerCell && !query.IncludeSafety) found = found.Where(m => !SafetyBackup.IsSafetyBackup(m));
        if (query.LatestPerCell) found = found.GroupBy(m => m.Cell).Select(g => g.OrderBy(m => m.StartedAt).Last());
        return found.OrderBy(m => m.StartedAt).Select(repository.ToRecord).ToList();
    }
}
