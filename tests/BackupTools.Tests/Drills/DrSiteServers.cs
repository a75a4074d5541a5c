using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Drills;

/// <summary>
/// A "DR site" set of real servers on other loopback ports, started by scripts/servers.sh with its own state
/// folder (BT_ONLY picks which), stopped on dispose. Every port is a fresh free one so stopping it can never
/// touch the shared servers.
/// </summary>
public sealed class DrSiteServers : IDisposable
{
    private readonly string _state;
    private readonly Dictionary<string, string> _env;
    public JsonElement Config { get; }

    public DrSiteServers(string folder, params string[] only)
    {
        _state = folder;
        Directory.CreateDirectory(_state);
        // The PostgreSQL server runs as user postgres: it must be able to reach its data folder.
        for (var dir = _state; dir != "/" && dir.StartsWith(Path.GetTempPath().TrimEnd('/'), StringComparison.Ordinal); dir = Path.GetDirectoryName(dir)!)
            File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
        _env = new Dictionary<string, string>
        {
            ["BACKUPTOOLS_SERVERS_DIR"] = _state,
            ["BT_ONLY"] = string.Join(' ', only),
            ["BT_PG_PORT"] = FreePort().ToString(),
            ["BT_MYSQL_PORT"] = FreePort().ToString(),
            ["BT_REDIS_PORT"] = FreePort().ToString(),
            ["BT_S3_PORT"] = FreePort().ToString(),
        };
        Script("start", TimeSpan.FromMinutes(3));
        Config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_state, "servers.json"))).RootElement.Clone();
    }

    public int Port(string server) => Config.GetProperty(server).GetProperty("port").GetInt32();
    public string Password(string server) => Config.GetProperty(server).GetProperty("password").GetString()!;

    private void Script(string command, TimeSpan timeout)
    {
        var log = Path.Combine(_state, $"servers-{command}.log");
        var psi = new ProcessStartInfo("bash", ["-c", "\"$0\" \"$1\" </dev/null >\"$2\" 2>&1", Path.Combine(RepoPaths.Root, "scripts", "servers.sh"), command, log]);
        foreach (var (k, v) in _env) psi.Environment[k] = v;
        using var process = Process.Start(psi)!;
        if (!process.WaitForExit(timeout)) throw new InvalidOperationException($"servers.sh {command} for the DR site did not finish; see {log}");
        if (process.ExitCode != 0) throw new InvalidOperationException($"servers.sh {command} for the DR site failed: {File.ReadAllText(log)}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { Script("stop", TimeSpan.FromMinutes(1)); } catch (InvalidOperationException) { /* best effort: the temp folder goes anyway */ }
    }
}
