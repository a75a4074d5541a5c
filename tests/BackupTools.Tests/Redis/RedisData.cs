using System.Text;
using StackExchange.Redis;

namespace BackupTools.Tests.Redis;

/// <summary>Seeds every Redis type (small and large encodings, TTLs, a consumer group) and fingerprints a server's keys, values and TTLs.</summary>
public static class RedisData
{
    /// <summary>Per database: ~36k keys of every type; pipelined (fire and forget) so 100k+ keys take a second or two.</summary>
    public static long Seed(ConnectionMultiplexer connection, int[] databases, int scale = 1)
    {
        long keys = 0;
        var random = new Random(42);
        foreach (var index in databases)
        {
            var db = connection.GetDatabase(index);
            const CommandFlags ff = CommandFlags.FireAndForget;
            for (var i = 0; i < 20000 * scale; i++) db.StringSet($"s:{i}", i % 3 == 0 ? i.ToString() : RandomText(random, random.Next(1, 200)), flags: ff);
            for (var i = 0; i < 5000 * scale; i++) db.StringSet($"ttl:{i}", RandomText(random, 20), TimeSpan.FromHours(1 + i % 5), flags: ff);
            for (var i = 0; i < 3000 * scale; i++) db.HashSet($"h:{i}", Enumerable.Range(0, 5).Select(f => new HashEntry($"f{f}", RandomText(random, 10))).ToArray(), ff);
            for (var i = 0; i < 3000 * scale; i++) db.ListRightPush($"l:{i}", Enumerable.Range(0, 5).Select(e => (RedisValue)RandomText(random, 8)).ToArray(), flags: ff);
            for (var i = 0; i < 2000 * scale; i++) db.SetAdd($"set:{i}", Enumerable.Range(0, 5).Select(e => (RedisValue)(i % 2 == 0 ? e.ToString() : RandomText(random, 6))).ToArray(), ff);
            for (var i = 0; i < 2000 * scale; i++) db.SortedSetAdd($"z:{i}", Enumerable.Range(0, 5).Select(e => new SortedSetEntry(RandomText(random, 6), random.NextDouble() * 1000)).ToArray(), ff);
            for (var i = 0; i < 1000 * scale; i++) db.StreamAdd($"x:{i}", [new NameValueEntry("a", i), new NameValueEntry("b", RandomText(random, 12))], flags: ff);
            // Large ones leave the compact encodings: hashtable, quicklist, intset/hashtable set, skiplist zset, multi-node stream.
            db.HashSet("big:hash", Enumerable.Range(0, 2000).Select(f => new HashEntry($"f{f}", RandomText(random, 30))).ToArray(), ff);
            db.ListRightPush("big:list", Enumerable.Range(0, 5000).Select(e => (RedisValue)RandomText(random, 40)).ToArray(), flags: ff);
            db.SetAdd("big:intset", Enumerable.Range(0, 400).Select(e => (RedisValue)e).ToArray(), ff);
            db.SetAdd("big:set", Enumerable.Range(0, 1000).Select(e => (RedisValue)RandomText(random, 12)).ToArray(), ff);
            db.SortedSetAdd("big:zset", Enumerable.Range(0, 1000).Select(e => new SortedSetEntry(RandomText(random, 12), e * 1.5)).ToArray(), ff);
            db.StringSet("big:string", RandomText(random, 300_000), flags: ff); // LZF-compressed in the RDB
            for (var e = 0; e < 500; e++) db.StreamAdd("big:stream", [new NameValueEntry("n", e), new NameValueEntry("v", RandomText(random, 20))], flags: ff);
            db.StreamCreateConsumerGroup("big:stream", "workers", "0-0");
            db.StreamReadGroup("big:stream", "workers", "alice", ">", 10); // 10 pending entries owned by alice
            db.Ping();
            keys += 20000L * scale + 5000 * scale + 3000 * scale + 3000 * scale + 2000 * scale + 2000 * scale + 1000 * scale + 7;
        }
        return keys;
    }

    private static string RandomText(Random random, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = (char)('a' + random.Next(26));
        return new string(chars);
    }

    /// <summary>Every key of the databases: "db|key" → type and value, and the TTL in seconds (null: none). Two pipelined passes: types, then values.</summary>
    public static SortedDictionary<string, (string Value, double? Ttl)> Fingerprint(ConnectionMultiplexer connection, int[] databases)
    {
        var result = new SortedDictionary<string, (string, double?)>(StringComparer.Ordinal);
        var server = connection.GetServers()[0];
        foreach (var index in databases)
        {
            var db = connection.GetDatabase(index);
            var keys = server.Keys(index, pageSize: 5000).ToList();
            var types = keys.Select(k => db.KeyTypeAsync(k)).ToList();
            var ttls = keys.Select(k => db.KeyTimeToLiveAsync(k)).ToList();
            Task.WaitAll(types.ToArray<Task>());
            var values = keys.Select((k, i) => ValueOf(db, k, types[i].Result)).ToList();
            Task.WaitAll(values.ToArray<Task>());
            Task.WaitAll(ttls.ToArray<Task>());
            for (var i = 0; i < keys.Count; i++) result[$"{index}|{keys[i]}"] = (types[i].Result + ":" + values[i].Result, ttls[i].Result?.TotalSeconds);
        }
        return result;
    }

    /// <summary>Same keys and values; TTLs within a tolerance (time passes between the two reads).</summary>
    public static void AssertSame(SortedDictionary<string, (string Value, double? Ttl)> expected, SortedDictionary<string, (string Value, double? Ttl)> actual, double ttlToleranceSeconds = 120)
    {
        Assert.True(expected.Keys.SequenceEqual(actual.Keys), $"{expected.Count} vs {actual.Count} keys; missing: {string.Join(",", expected.Keys.Except(actual.Keys).Take(3))}; extra: {string.Join(",", actual.Keys.Except(expected.Keys).Take(3))}");
        foreach (var (key, (value, ttl)) in expected)
        {
            var other = actual[key];
            Assert.True(value == other.Value, $"{key}: value differs");
            Assert.True(ttl is null ? other.Ttl is null : other.Ttl is { } t && Math.Abs(t - ttl.Value) <= ttlToleranceSeconds, $"{key}: TTL {ttl} vs {other.Ttl}");
        }
    }

    private static Task<string> ValueOf(IDatabase db, RedisKey key, RedisType type) => type switch
    {
        RedisType.String => db.StringGetAsync(key).ContinueWith(t => (string?)t.Result ?? "", TaskContinuationOptions.ExecuteSynchronously),
        RedisType.Hash => db.HashGetAllAsync(key).ContinueWith(t => string.Join(",", t.Result.Select(e => $"{e.Name}={e.Value}").Order()), TaskContinuationOptions.ExecuteSynchronously),
        RedisType.List => db.ListRangeAsync(key).ContinueWith(t => string.Join(",", t.Result), TaskContinuationOptions.ExecuteSynchronously),
        RedisType.Set => db.SetMembersAsync(key).ContinueWith(t => string.Join(",", t.Result.Select(v => (string?)v).Order()), TaskContinuationOptions.ExecuteSynchronously),
        RedisType.SortedSet => db.SortedSetRangeByRankWithScoresAsync(key).ContinueWith(t => string.Join(",", t.Result.Select(e => $"{e.Element}={e.Score}")), TaskContinuationOptions.ExecuteSynchronously),
        RedisType.Stream => Task.WhenAll(db.StreamRangeAsync(key).ContinueWith(t => string.Join(",", t.Result.Select(e => $"{e.Id}:{string.Join(";", e.Values.Select(v => $"{v.Name}={v.Value}"))}")), TaskContinuationOptions.ExecuteSynchronously),
                db.StreamGroupInfoAsync(key).ContinueWith(t => "groups:" + string.Join(",", t.Result.Select(g => $"{g.Name}/{g.PendingMessageCount}/{g.LastDeliveredId}")), TaskContinuationOptions.ExecuteSynchronously))
            .ContinueWith(t => string.Join("|", t.Result), TaskContinuationOptions.ExecuteSynchronously),
        _ => Task.FromResult("?"),
    };
}
