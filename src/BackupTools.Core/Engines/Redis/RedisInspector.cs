using BackupTools.Core.Engines.Redis.Rdb;
using StackExchange.Redis;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// Administrative questions to a Redis server over StackExchange.Redis: INFO sections, CONFIG GET,
/// LASTSAVE, BGSAVE. Connection failures come out as the stable Redis* errors.
/// </summary>
public sealed class RedisInspector : IDisposable
{
    private readonly ConnectionMultiplexer _connection;
    private readonly IServer _server;

    private RedisInspector(ConnectionMultiplexer connection)
    {
        _connection = connection;
        _server = connection.GetServers().Single();
    }

    public RedisTarget Target { get; private init; } = null!;

    public static RedisInspector Open(RedisTarget target)
    {
        var options = Options(target, "BackupTools");
        try
        {
            var inspector = new RedisInspector(ConnectionMultiplexer.Connect(options)) { Target = target };
            inspector.Info("server"); // a server that wants AUTH we did not give still lets the connection open
            return inspector;
        }
        catch (Exception e) when (e is not Errors.BackupToolsException)
        {
            throw RedisErrors.Map(e, target);
        }
    }

    /// <summary>How BackupTools connects to a server for admin commands (INFO, CONFIG, BGSAVE, FLUSHALL, SCAN): fail fast, long sync timeout.</summary>
    public static ConfigurationOptions Options(RedisTarget target, string clientName)
    {
        var options = new ConfigurationOptions
        {
            User = target.User,
            Password = target.Password,
            Ssl = target.Tls,
            SslHost = target.Tls ? target.Host : null,
            AllowAdmin = true,
            AbortOnConnectFail = true,
            ConnectTimeout = 10_000,
            SyncTimeout = 30_000,
            ConnectRetry = 1,
            ClientName = clientName,
        };
        options.EndPoints.Add(target.Host, target.Port);
        if (target.SkipCertificateCheck) options.CertificateValidation += (_, _, _, _) => true;
        return options;
    }

    /// <summary>One INFO section as name → value.</summary>
    public Dictionary<string, string> Info(string section)
    {
        return ParseInfo(Call(() => _server.InfoRaw(section)) ?? "");
    }

    public static Dictionary<string, string> ParseInfo(string raw)
    {
        var values = new Dictionary<string, string>();
        foreach (var line in raw.Split('\n'))
        {
            var text = line.TrimEnd('\r');
            var colon = text.IndexOf(':');
            if (text.Length == 0 || text[0] == '#' || colon < 0) continue;
            values[text[..colon]] = text[(colon + 1)..];
        }
        return values;
    }

    /// <summary>Keys per database from INFO keyspace ("db0:keys=3,expires=1,avg_ttl=0").</summary>
    public IReadOnlyList<RdbDatabase> Keyspace() => ParseKeyspace(Info("keyspace"));

    public static IReadOnlyList<RdbDatabase> ParseKeyspace(Dictionary<string, string> keyspace) => keyspace
        .Where(kv => kv.Key.StartsWith("db", StringComparison.Ordinal) && int.TryParse(kv.Key.AsSpan(2), out _))
        .Select(kv =>
        {
            var fields = kv.Value.Split(',').Select(f => f.Split('=')).Where(f => f.Length == 2).ToDictionary(f => f[0], f => long.Parse(f[1]));
            return new RdbDatabase(int.Parse(kv.Key.AsSpan(2)), fields.GetValueOrDefault("keys"), fields.GetValueOrDefault("expires"));
        })
        .OrderBy(d => d.Index).ToList();

    public string? ConfigGet(string name) => Call(() => _server.ConfigGet(name)).FirstOrDefault(kv => kv.Key == name).Value;

    public long LastSave() => new DateTimeOffset(Call(() => _server.LastSave()), TimeSpan.Zero).ToUnixTimeSeconds();

    /// <summary>BGSAVE SCHEDULE: starts now, or as soon as a running AOF rewrite ends.</summary>
    public string BackgroundSave() => Call(() => _server.Execute("BGSAVE", "SCHEDULE")).ToString();

    private T Call<T>(Func<T> call)
    {
        try { return call(); }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw RedisErrors.Map(e, Target);
        }
    }

    public void Dispose() => _connection.Dispose();
}
