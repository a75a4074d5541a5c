using System.Globalization;
using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Retention;

/// <summary>
/// Pure retention evaluation: manifests in, one keep/delete decision with reasons per backup out.
/// Each series — a cell's backups of one engine and source (a cell holding several databases has one
/// series per database) — is evaluated on its own, newest first:
/// <list type="bullet">
/// <item>KeepLast n: the n newest backups.</item>
/// <item>KeepHourly/Daily/Weekly/Monthly/Yearly n: for the last n calendar periods (UTC; ISO weeks) that
/// have backups, the newest backup of each (restic semantics: empty periods do not count).</item>
/// <item>KeepWithin d: every backup started at or after now − d, and the newest backup before that, so the
/// whole window stays restorable (its chain brings the full it builds on).</item>
/// <item>Always: the newest backup of the series and the newest one that passed verification.</item>
/// <item>Chain: every parent (ParentId, transitively) of a kept backup is kept.</item>
/// <item>Dependent batches (WAL, binlogs — engines with a DependentRetention): kept when a kept backup needs them.</item>
/// </list>
/// </summary>
public static class RetentionEvaluator
{
    public const string NewestReason = "newest backup of cell";
    public const string NewestVerifiedReason = "newest verified backup";

    public static IReadOnlyList<RetentionDecision> Evaluate(RetentionPolicy policy, IReadOnlyList<BackupManifest> manifests,
        IReadOnlySet<string> verifiedIds, DateTimeOffset now, string repository = "")
    {
        policy.Validate();
        var reasons = manifests.ToDictionary(m => m.Id, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var series in manifests.Where(m => DependentRetentionOf(m) is null).GroupBy(SeriesOf))
            KeepInSeries(policy, series.OrderByDescending(m => m.StartedAt).ThenByDescending(m => m.Id, StringComparer.Ordinal).ToList(), verifiedIds, now, reasons);
        KeepChains(manifests, reasons);
        foreach (var dependents in manifests.GroupBy(DependentRetentionOf).Where(g => g.Key != null))
            dependents.Key!.Keep(manifests, dependents.ToList(), reasons);
        return manifests
            .OrderBy(m => m.StartedAt).ThenBy(m => m.Id, StringComparer.Ordinal)
            .Select(m => new RetentionDecision
            {
                Record = ManifestRecords.ToRecord(m, repository),
                Keep = reasons[m.Id].Count > 0,
                Reasons = reasons[m.Id].ToArray(),
            })
            .ToList();
    }

    /// <summary>The engine's rule for backups kept only while others need them; null for engines (or unknown ones) whose backups form series.</summary>
    private static IDependentRetention? DependentRetentionOf(BackupManifest m) =>
        EngineRegistry.TryGet(m.Engine, out var engine) ? engine.DependentRetention : null;

    /// <summary>The unit retention works on: one cell's backups of one engine and source.</summary>
    public static (string Cell, string Engine, string Source) SeriesOf(BackupManifest m) => (m.Cell, m.Engine, m.Source);

    private static void KeepInSeries(RetentionPolicy policy, IReadOnlyList<BackupManifest> newestFirst, IReadOnlySet<string> verifiedIds,
        DateTimeOffset now, Dictionary<string, List<string>> reasons)
    {
        void Keep(BackupManifest m, string reason)
        {
            if (!reasons[m.Id].Contains(reason)) reasons[m.Id].Add(reason);
        }

        for (var i = 0; i < Math.Min(policy.KeepLast, newestFirst.Count); i++)
            Keep(newestFirst[i], $"last {policy.KeepLast}");

        foreach (var (count, name, period) in CalendarRules(policy))
        {
            string? previous = null;
            var kept = 0;
            foreach (var m in newestFirst)
            {
                if (kept == count) break;
                var key = period(m.StartedAt.UtcDateTime);
                if (key == previous) continue; // an older backup of a period already represented
                previous = key;
                kept++;
                Keep(m, $"{name} {key}");
            }
        }

        if (policy.KeepWithin is { } within)
        {
            var windowStart = now - within;
            foreach (var m in newestFirst.Where(m => m.StartedAt >= windowStart))
                Keep(m, $"within {within}");
            if (newestFirst.FirstOrDefault(m => m.StartedAt < windowStart) is { } before)
                Keep(before, $"restore point at window start (within {within})");
        }

        if (newestFirst.Count > 0) Keep(newestFirst[0], NewestReason);
        if (newestFirst.FirstOrDefault(m => verifiedIds.Contains(m.Id)) is { } verified)
            Keep(verified, NewestVerifiedReason);
    }

    private static IEnumerable<(int Count, string Name, Func<DateTime, string> Period)> CalendarRules(RetentionPolicy p)
    {
        var rules = new (int, string, Func<DateTime, string>)[]
        {
            (p.KeepHourly, "hourly", t => t.ToString("yyyy-MM-dd HH':00'", CultureInfo.InvariantCulture)),
            (p.KeepDaily, "daily", t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            (p.KeepWeekly, "weekly", t => $"{ISOWeek.GetYear(t):D4}-W{ISOWeek.GetWeekOfYear(t):D2}"),
            (p.KeepMonthly, "monthly", t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture)),
            (p.KeepYearly, "yearly", t => t.ToString("yyyy", CultureInfo.InvariantCulture)),
        };
        return rules.Where(r => r.Item1 > 0);
    }

    /// <summary>A kept backup's parents are needed to restore it: keep them, naming the backup that needs them.</summary>
    private static void KeepChains(IReadOnlyList<BackupManifest> manifests, Dictionary<string, List<string>> reasons)
    {
        var byId = manifests.ToDictionary(m => m.Id, StringComparer.Ordinal);
        var keptDirectly = manifests.Where(m => reasons[m.Id].Count > 0).ToList();
        foreach (var kept in keptDirectly)
        {
            var current = kept;
            var seen = new HashSet<string>(StringComparer.Ordinal) { kept.Id };
            while (current.ParentId is { } parentId && byId.TryGetValue(parentId, out var parent) && seen.Add(parentId))
            {
                var reason = $"base of kept {current.Kind.ToString().ToLowerInvariant()} {current.Id}";
                if (reasons[parentId].Contains(reason)) break; // the rest of this chain was walked already
                reasons[parentId].Add(reason);
                current = parent;
            }
        }
    }
}
