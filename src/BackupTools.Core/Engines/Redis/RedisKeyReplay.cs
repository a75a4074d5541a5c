using StackExchange.Redis;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// Moves a whole dataset from one server to another over the network, key by key with DUMP/RESTORE (values and
/// TTLs kept exactly, every type, binary-safe), for a target whose data files this machine cannot reach.
/// The target is emptied first (FLUSHALL): the caller has a safety backup and a proven source.
/// </summary>
public static class RedisKeyReplay
{
    private const int Batch = 512;

    /// <summary>Empties <paramref name="target"/> and copies every key of <paramref name="source"/> into it; returns the keys copied.</summary>
    public static long Replace(RedisTarget source, RedisTarget target, Action<long> progress, CancellationToken cancel)
    {
        using var from = Connect(source);
        using var to = Connect(target);
        var fromServer = from.GetServers().Single();
        to.GetServers().Single().FlushAllDatabases();
        long copied = 0;
        foreach (var database in RedisInspector.ParseKeyspace(RedisInspector.ParseInfo(fromServer.InfoRaw("keyspace") ?? "")))
        {
            var read = from.GetDatabase(database.Index);
            var write = to.GetDatabase(database.Index);
            foreach (var keys in fromServer.Keys(database.Index, pageSize: Batch).Chunk(Batch))
            {
                cancel.ThrowIfCancellationRequested();
                var dumps = keys.Select(k => (Key: k, Value: read.KeyDumpAsync(k), Ttl: read.KeyTimeToLiveAsync(k))).ToArray();
                var restores = new List<Task>(dumps.Length);
                foreach (var (key, value, ttl) in dumps)
                {
                    // A key that expired between SCAN and DUMP is simply gone, as it would be on the source.
                    if (value.Result is not { } payload) continue;
                    if (ttl.Result is { } left && left <= TimeSpan.Zero) continue;
                    restores.Add(write.KeyRestoreAsync(key, payload, ttl.Result));
                }
                Task.WaitAll([.. restores], cancel);
                copied += restores.Count;
                progress(copied);
            }
        }
        return copied;
    }

    /// <summary>Keys (up to <paramref name="sample"/> per database) whose serialized value differs between the two servers.</summary>
    public static IReadOnlyList<string> SampleDifferences(RedisTarget expected, RedisTarget actual, int sample)
    {
        using var a = Connect(expected);
        using var b = Connect(actual);
        var server = a.GetServers().Single();
        var differences = new List<string>();
        foreach (var database in RedisInspector.ParseKeyspace(RedisInspector.ParseInfo(server.InfoRaw("keyspace") ?? "")))
        {
            var left = a.GetDatabase(database.Index);
            var right = b.GetDatabase(database.Index);
            foreach (var key in server.Keys(database.Index, pageSize: sample).Take(sample))
            {
                var want = left.KeyDump(key);
                if (want is null) continue; // expired meanwhile
                var have = right.KeyDump(key);
                // Equal serializations prove equal values; unequal ones may still be (a set's or hash's order
                // after RESTORE), so those are compared by content.
                if (have is null) differences.Add($"db{database.Index} key '{Printable(key)}' missing");
                else if (!want.AsSpan().SequenceEqual(have) && Content(left, key) != Content(right, key))
                    differences.Add($"db{database.Index} key '{Printable(key)}' has another value");
            }
        }
        return differences;
    }

    /// <summary>A key's value in a canonical, order-independent text form.</summary>
    private static string Content(IDatabase db, RedisKey key)
    {
        static string Join(IEnumerable<string> parts) => string.Join("\u0001", parts);
        return db.KeyType(key) switch
        {
            RedisType.String => "s:" + db.StringGet(key),
            RedisType.List => "l:" + Join(db.ListRange(key).Select(v => v.ToString())),
            RedisType.Set => "S:" + Join(db.SetMembers(key).Select(v => v.ToString()).Order(StringComparer.Ordinal)),
            RedisType.Hash => "h:" + Join(db.HashGetAll(key).Select(e => $"{e.Name}={e.Value}").Order(StringComparer.Ordinal)),
            RedisType.SortedSet => "z:" + Join(db.SortedSetRangeByRankWithScores(key).Select(e => $"{e.Element}={e.Score:R}")),
            RedisType.Stream => "x:" + Join(db.StreamRange(key).Select(e => $"{e.Id}:{Join(e.Values.Select(v => $"{v.Name}={v.Value}"))}")),
            var other => other.ToString(),
        };
    }

    private static string Printable(RedisKey key)
    {
        var text = key.ToString() ?? "";
        return text.Length > 80 ? text[..80] + "…" : text;
    }

    private static ConnectionMultiplexer Connect(RedisTarget target)
    {
        var options = RedisInspector.Options(target, "BackupTools-restore");
        options.SyncTimeout = 60_000; // a large value's DUMP/RESTORE
        try
        {
            return ConnectionMultiplexer.Connect(options);
        }
        catch (Exception e) when (e is not Errors.BackupToolsException)
        {
            throw RedisErrors.Map(e, target);
        }
    }
}
