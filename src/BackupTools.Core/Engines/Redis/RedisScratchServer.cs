using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BackupTools.Core.Engines.Redis.Rdb;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// A throwaway redis-server on a free loopback port, loading one snapshot from a private temp folder,
/// never saving, removed with its folder on Dispose. Used to prove a backup loads (Test-BackupIntegrity -RestoreTest).
/// </summary>
public sealed class RedisScratchServer : IDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _folder;

    private readonly string _password;

    private RedisScratchServer(Process process, DirectoryInfo folder, int port, string password)
    {
        _password = password;
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <summary>How to reach it (loopback, its private password).</summary>
    public RedisTarget Target => new("127.0.0.1", Port, null, _password, false, false);

    /// <summary>Starts a server whose dump.rdb <paramref name="writeSnapshot"/> writes; returns once the data is loaded.</summary>
    public static (RedisScratchServer Server, TimeSpan LoadTime) Start(string executable, Action<Stream> writeSnapshot, TimeSpan timeout, CancellationToken cancel)
    {
        var folder = System.IO.Directory.CreateTempSubdirectory("bt-redis-test-");
        try
        {
            using (var file = new FileStream(Path.Combine(folder.FullName, "dump.rdb"), FileMode.CreateNew, FileAccess.Write)) writeSnapshot(file);
            var port = FreePort();
            // The folder is private (0700); the password keeps other local users out of the loaded data and stays out of argv.
            var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            var config = Path.Combine(folder.FullName, "redis.conf");
            File.WriteAllText(config, $"port {port}\nbind 127.0.0.1\ndir \"{folder.FullName}\"\ndbfilename dump.rdb\ndaemonize no\nsave \"\"\nappendonly no\n" +
                $"logfile \"{Path.Combine(folder.FullName, "redis.log")}\"\nrequirepass {password}\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var start = new ProcessStartInfo(executable, [config]) { UseShellExecute = false };
            var clock = Stopwatch.StartNew();
            var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
            var server = new RedisScratchServer(process, folder, port, password);
            try
            {
                server.WaitLoaded(timeout, cancel);
                return (server, clock.Elapsed);
            }
            catch
            {
                server.Dispose();
                throw;
            }
        }
        catch
        {
            try { folder.Delete(true); } catch (IOException) { }
            throw;
        }
    }

    public IReadOnlyList<RdbDatabase> Keyspace()
    {
        using var connection = Connect();
        return RedisInspector.ParseKeyspace(RedisInspector.ParseInfo(connection.Command("INFO", "keyspace") ?? ""));
    }

    private RespConnection Connect() => RespConnection.Open(Target, TimeSpan.FromSeconds(5), CancellationToken.None);

    private void WaitLoaded(TimeSpan timeout, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            if (_process.HasExited)
                throw new BackupToolsException("RedisSnapshotLoadFailed", FailureKind.InvalidData,
                    $"redis-server exited ({_process.ExitCode}) instead of loading the snapshot: {LogTail()}", "The snapshot may come from a newer Redis than this redis-server (see -ToolPath).");
            try
            {
                using var connection = Connect();
                if (RedisInspector.ParseInfo(connection.Command("INFO", "persistence") ?? "").GetValueOrDefault("loading") == "0") return;
            }
            catch (Exception e) when (e is SocketException or IOException or RespErrorException) { /* still starting or loading */ }
            if (clock.Elapsed > timeout)
                throw new BackupToolsException("RedisSnapshotLoadTimeout", FailureKind.ResourceBusy, $"redis-server did not finish loading within {timeout.TotalSeconds:0} s.");
            Thread.Sleep(20);
        }
    }

    private string LogTail()
    {
        var log = Path.Combine(_folder.FullName, "redis.log");
        return File.Exists(log) ? string.Join(" | ", File.ReadAllLines(log).TakeLast(3)) : "(no log)";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                try { using var connection = Connect(); connection.Send("SHUTDOWN", "NOSAVE"); connection.ReadByte(); }
                catch (Exception e) when (e is SocketException or IOException) { }
                if (!_process.WaitForExit(10_000)) _process.Kill();
                _process.WaitForExit();
            }
        }
        finally
        {
            _process.Dispose();
            try { _folder.Delete(true); } catch (IOException) { }
        }
    }
}
