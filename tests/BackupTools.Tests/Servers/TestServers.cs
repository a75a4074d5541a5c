using System.Diagnostics;
using System.Text.Json;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Servers;

/// <summary>
/// The real servers tests run against, started once per test run by scripts/servers.sh (idempotent),
/// described by the servers.json it writes.
/// </summary>
public static class TestServers
{
    private static readonly Lazy<JsonElement> Config = new(StartAndRead);

    public static PostgresServer Postgres => new(Get("postgres"));
    public static MySqlServer MySql => new(Get("mysql"));
    public static RedisServer Redis => new(Get("redis"));
    public static S3Server S3 => new(Get("s3"));

    private static JsonElement Get(string name) => Config.Value.GetProperty(name);

    private static JsonElement StartAndRead()
    {
        var script = Path.Combine(RepoPaths.Root, "scripts", "servers.sh");
        // Output goes to a file, not a pipe: the servers it starts live on and must not hold our pipe open.
        var log = Path.Combine(Path.GetTempPath(), $"bt-servers-start-{Environment.ProcessId}.log");
        var psi = new ProcessStartInfo("bash", ["-c", "\"$0\" start </dev/null >\"$1\" 2>&1", script, log]);
        using var process = Process.Start(psi)!;
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
            throw new InvalidOperationException($"scripts/servers.sh start did not finish in 3 minutes; see {log}.");
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"scripts/servers.sh start failed ({process.ExitCode}): {File.ReadAllText(log)}\nOn a dev machine run `scripts/servers.sh install` first.");
        var state = Environment.GetEnvironmentVariable("BACKUPTOOLS_SERVERS_DIR") ?? Path.Combine(RepoPaths.Root, ".servers");
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(state, "servers.json"))).RootElement.Clone();
    }
}

public sealed record PostgresServer(string Host, int Port, string User, string Password, string BinDir)
{
    internal PostgresServer(JsonElement e) : this(e.GetProperty("host").GetString()!, e.GetProperty("port").GetInt32(),
        e.GetProperty("user").GetString()!, e.GetProperty("password").GetString()!, e.GetProperty("binDir").GetString()!) { }

    public string ConnectionString(string database = "postgres") =>
        $"Host={Host};Port={Port};Username={User};Password={Password};Database={database};Pooling=false";
}

public sealed record MySqlServer(string Host, int Port, string User, string Password)
{
    internal MySqlServer(JsonElement e) : this(e.GetProperty("host").GetString()!, e.GetProperty("port").GetInt32(),
        e.GetProperty("user").GetString()!, e.GetProperty("password").GetString()!) { }

    public string ConnectionString(string? database = null) =>
        $"Server={Host};Port={Port};User ID={User};Password={Password};{(database is null ? "" : $"Database={database};")}Pooling=false";
}

public sealed record RedisServer(string Host, int Port)
{
    internal RedisServer(JsonElement e) : this(e.GetProperty("host").GetString()!, e.GetProperty("port").GetInt32()) { }
}

public sealed record S3Server(string Endpoint, string AccessKey, string SecretKey)
{
    internal S3Server(JsonElement e) : this(e.GetProperty("endpoint").GetString()!, e.GetProperty("accessKey").GetString()!, e.GetProperty("secretKey").GetString()!) { }
}
