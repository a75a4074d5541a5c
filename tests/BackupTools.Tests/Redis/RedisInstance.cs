using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace BackupTools.Tests.Redis;

/// <summary>
/// A private, throwaway redis-server on a free loopback port in its own folder (never the shared one),
/// started from a config file with daemonize + pidfile, killed on Dispose.
/// </summary>
public sealed class RedisInstance : IDisposable
{
    /// <param name="withoutConfigFile">Start with the settings as arguments, as a server this machine cannot restart would look (no config_file).</param>
    public RedisInstance(string folder, string? password = null, string extraConfig = "", bool withoutConfigFile = false)
    {
        _withoutConfigFile = withoutConfigFile;
        Folder = folder;
        Directory.CreateDirectory(folder);
        Password = password;
        Port = FreePort();
        ConfigPath = Path.Combine(folder, "redis.conf");
        File.WriteAllText(ConfigPath, $"""
            port {Port}
            bind 127.0.0.1
            dir {folder}
            dbfilename dump.rdb
            daemonize yes
            pidfile {Path.Combine(folder, "redis.pid")}
            logfile {Path.Combine(folder, "redis.log")}
            save ""
            appendonly no
            repl-diskless-sync-delay 0
            {(password is null ? "" : $"requirepass {password}")}
            {extraConfig}
            """);
        Start();
    }

    private readonly bool _withoutConfigFile;

    public string Folder { get; }
    public int Port { get; }
    public string? Password { get; }
    public string ConfigPath { get; }
    public string DumpPath => Path.Combine(Folder, "dump.rdb");

    public void Start()
    {
        string[] args = _withoutConfigFile
            ? File.ReadAllLines(ConfigPath).Select(l => l.Trim()).Where(l => l.Length > 0).SelectMany(l => l.Split(' ', 2)).Select((w, i) => i % 2 == 0 ? "--" + w : w.Trim('"')).ToArray()
            : [ConfigPath];
        using (var start = Process.Start(new ProcessStartInfo("redis-server", args) { RedirectStandardOutput = true, RedirectStandardError = true })!)
            start.WaitForExit();
        WaitUntilReady(Port, Password);
    }

    public static void WaitUntilReady(int port, string? password)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Listening(port))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"redis-server on {port} did not come up");
            Thread.Sleep(20);
        }
        while (true)
        {
            try
            {
                using var connection = Connect(port, password);
                if (connection.GetServers()[0].InfoRaw("persistence")!.Contains("\nloading:0")) return; // not async_loading:0
            }
            catch (RedisException) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"redis-server on {port} did not come up");
            Thread.Sleep(50);
        }
    }

    private static bool Listening(int port)
    {
        try { using var client = new TcpClient(); client.Connect(IPAddress.Loopback, port); return true; }
        catch (SocketException) { return false; }
    }

    public ConnectionMultiplexer Connect() => Connect(Port, Password);

    public static ConnectionMultiplexer Connect(int port, string? password) => ConnectionMultiplexer.Connect(new ConfigurationOptions
    {
        EndPoints = { { "127.0.0.1", port } }, Password = password, AllowAdmin = true, AbortOnConnectFail = true, ConnectTimeout = 5000, SyncTimeout = 60000,
    });

    public int? Pid => File.Exists(Path.Combine(Folder, "redis.pid")) && int.TryParse(File.ReadAllText(Path.Combine(Folder, "redis.pid")).Trim(), out var pid) ? pid : null;

    /// <summary>Kills the server without letting it save, and waits until it is gone.</summary>
    public void Kill()
    {
        if (Pid is not { } pid) return;
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit(10_000);
        }
        catch (ArgumentException) { /* already gone */ }
        catch (InvalidOperationException) { }
        File.Delete(Path.Combine(Folder, "redis.pid"));
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => Kill();
}
