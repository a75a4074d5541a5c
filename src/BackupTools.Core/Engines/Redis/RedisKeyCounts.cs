using BackupTools.Core.Engines.Redis.Rdb;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// Compares the keys a server holds after loading a snapshot with the counts the manifest recorded. A
/// server loading an RDB drops keys whose TTL has passed meanwhile, so a database may come up short by at
/// most its number of expiring keys.
/// </summary>
public static class RedisKeyCounts
{
    public static IReadOnlyList<RdbDatabase> Recorded(BackupManifest manifest) =>
        manifest.EngineInfo?["databases"]?.AsArray().Select(d => new RdbDatabase(d!["db"]!.GetValue<int>(), d["keys"]!.GetValue<long>(), d["expires"]!.GetValue<long>())).ToList() ?? [];

    /// <summary>Differences worth failing for, and how many keys the loaded server lacks because they expired.</summary>
    public static (IReadOnlyList<string> Differences, long Expired) Compare(IReadOnlyList<RdbDatabase> recorded, IReadOnlyList<RdbDatabase> loaded)
    {
        var differences = new List<string>();
        long expired = 0;
        foreach (var index in recorded.Select(d => d.Index).Union(loaded.Select(d => d.Index)).Order())
        {
            var want = recorded.FirstOrDefault(d => d.Index == index) ?? new RdbDatabase(index, 0, 0);
            var have = loaded.FirstOrDefault(d => d.Index == index)?.Keys ?? 0;
            var missing = want.Keys - have;
            if (missing == 0) continue;
            if (missing > 0 && missing <= want.Expires) { expired += missing; continue; }
            differences.Add($"db{index}: {have} keys loaded, manifest says {want.Keys}");
        }
        return (differences, expired);
    }
}
