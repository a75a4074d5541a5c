using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository.Catalog;

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

/// <summary>Get-Backup's filters over the catalog (or, without one, the manifests); results oldest first.</summary>
public static class BackupCatalog
{
    public static IReadOnlyList<BackupRecord> Query(BackupRepository repository, BackupQuery query, IOperationObserver observer, CancellationToken cancel = default)
    {
        try
        {
            if (CatalogListing.TryList(repository, query, cancel) is { } listed) return listed;
        }
        catch (BackupIntegrityException e)
        {
            observer.Warning($"{e.Message} {e.RecommendedAction}"); // as ListBackups: a damaged catalog, the manifests answer
        }
        var selection = new BackupSelection(query);
        foreach (var m in repository.ListManifests(observer, cancel))
            if (selection.Wants(m.Id, m.Cell, m.Source, m.Engine, m.Kind, m.StartedAt, SafetyBackup.IsSafetyBackup(m)))
                selection.Keep(repository.ToRecord(m));
        return selection.Result();
    }
}

/// <summary>
/// Get-Backup's filters and -Latest applied to each backup as it is read, before its record is built: only what
/// the query returns is ever held (a -Latest listing keeps one record per cell).
/// </summary>
internal sealed class BackupSelection(BackupQuery query)
{
    private readonly List<BackupRecord> _kept = [];
    private readonly Dictionary<string, BackupRecord> _latest = new(StringComparer.Ordinal);

    public bool Wants(string id, string cell, string source, string engine, BackupKind kind, DateTimeOffset startedAt, bool isSafetyBackup)
    {
        if (query.Ids is { Count: > 0 } ids && !ids.Contains(id)) return false;
        if (query.Cells is { Count: > 0 } cells && !cells.Contains(cell, StringComparer.OrdinalIgnoreCase)) return false;
        if (query.Sources is { Count: > 0 } sources && !MatchesSource(sources, source, engine)) return false;
        if (query.Kinds is { Count: > 0 } kinds && !kinds.Contains(kind)) return false;
        if (query.Since is { } since && startedAt < since) return false;
        if (query.Until is { } until && startedAt > until) return false;
        if (!query.LatestPerCell) return true;
        // A restore's safety backup is the newest backup of its target, but not a restore point: -Latest | Restore-…
        // must not pick it (nor pick one per target when that adds the safety backups' cells).
        if (isSafetyBackup && !query.IncludeSafety) return false;
        return !_latest.TryGetValue(cell, out var best) || IsNewer(startedAt, id, best);
    }

    /// <summary>A backup <see cref="Wants"/> said yes to.</summary>
    public void Keep(BackupRecord record)
    {
        if (query.LatestPerCell) _latest[record.Cell] = record;
        else _kept.Add(record);
    }

    /// <summary>Oldest first; equal start times by id, as the catalog's listing orders them.</summary>
    public List<BackupRecord> Result()
    {
        var result = query.LatestPerCell ? _latest.Values.ToList() : _kept;
        result.Sort((a, b) => IsNewer(a.StartedAt, a.Id, b) ? 1 : IsNewer(b.StartedAt, b.Id, a) ? -1 : 0);
        return result;
    }

    private static bool IsNewer(DateTimeOffset startedAt, string id, BackupRecord than) =>
        startedAt > than.StartedAt || (startedAt == than.StartedAt && string.CompareOrdinal(id, than.Id) > 0);

    private static bool MatchesSource(IReadOnlyCollection<string> sources, string source, string engine)
    {
        foreach (var s in sources)
            if (string.Equals(s, source, StringComparison.Ordinal) || string.Equals(s, engine, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
