using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BackupTools.Tests.Infrastructure;
using Npgsql;

namespace BackupTools.Tests.PostgresPitr;

/// <summary>
/// A private PostgreSQL 15 cluster for point-in-time tests: its own data folder and free loopback port, WAL archiving on
/// with BackupTools' own archive_command (module/tools/bt-wal-spool) into a spool folder, stopped and removed on Dispose.
/// </summary>
public sealed class ArchivingCluster : IDisposable
{
    public const string Bin = "/usr/lib/postgresql/15/bin";
    public const string Password = "Pitr-Test-Pass";

    public ArchivingCluster(string folder)
    {
        Folder = folder;
        Directory.CreateDirectory(folder);
        MakeReachable(folder);
        DataDir = Path.Combine(folder, "data");
        Spool = Path.Combine(folder, "spool");
        Directory.CreateDirectory(Spool);
        Chown(Spool);
        Directory.CreateDirectory(DataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Chown(DataDir);
        Port = FreePort();
        var pwfile = Path.Combine(folder, "pw");
        File.WriteAllText(pwfile, Password);
        Chown(pwfile);
        AsPostgres(Path.Combine(Bin, "initdb"), "-D", DataDir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", $"--pwfile={pwfile}", "-E", "UTF8");
        File.Delete(pwfile);
        File.AppendAllText(Path.Combine(DataDir, "postgresql.conf"), $"""

            port = {Port}
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '{DataDir}'
            wal_level = replica
            archive_mode = on
            archive_command = '{Path.Combine(RepoPaths.Root, "module", "tools", "bt-wal-spool")} {Spool} %p %f'
            max_wal_senders = 4
            """);
        StartOnAFreePort();
    }

    /// <summary>
    /// Starts the server; when it cannot (its port was taken since the probe: a free port is only free until
    /// someone binds it), moves it to another free port and tries again.
    /// </summary>
    public void StartOnAFreePort()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Start();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                Port = FreePort();
                File.AppendAllText(Path.Combine(DataDir, "postgresql.conf"), $"\nport = {Port}\n");
            }
        }
    }

    public string Folder { get; }
    public string DataDir { get; }
    public string Spool { get; }
    public int Port { get; private set; }

    public void Start()
    {
        var log = Path.Combine(Folder, "server.log");
        if (!File.Exists(log)) { File.WriteAllText(log, ""); Chown(log); }
        AsPostgres(Path.Combine(Bin, "pg_ctl"), "-D", DataDir, "-w", "-l", log, "start");
    }

    public NpgsqlConnection Connect(string database = "postgres")
    {
        var c = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=postgres;Password={Password};Database={database};Pooling=false");
        c.Open();
        return c;
    }

    /// <summary>The superuser's credential as the cmdlets take it (-Credential).</summary>
    public static System.Management.Automation.PSCredential Credential =>
        new("postgres", new NetworkCredential("", Password).SecurePassword);

    /// <summary>Runs one statement (also for statements without a result) and returns the first column of the first row, if any.</summary>
    public object? Scalar(string sql)
    {
        using var c = Connect();
        using var cmd = new NpgsqlCommand(sql, c);
        return cmd.ExecuteScalar();
    }

    /// <summary>Ends the current WAL segment and waits until the archiver has spooled it.</summary>
    public void SwitchAndWaitArchived()
    {
        var segment = (string)Scalar("select pg_walfile_name(pg_switch_wal())")!;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Scalar("select last_archived_wal from pg_stat_archiver") as string is not { } last || string.CompareOrdinal(last, segment) < 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{segment} was not archived; see {Folder}/server.log");
            Thread.Sleep(100);
        }
    }

    public static void AsPostgres(string executable, params string[] args)
    {
        var psi = new ProcessStartInfo("runuser") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-u", "postgres", "--", executable }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) throw new TimeoutException($"{executable} hung");
        if (p.ExitCode != 0) throw new InvalidOperationException($"{executable} {string.Join(' ', args)} failed: {error.Result}{output.Result}");
    }

    public static void Chown(string path)
    {
        using var p = Process.Start("chown", ["-R", "postgres:", path])!;
        p.WaitForExit();
    }

    /// <summary>The server runs as postgres: it must be able to pass through the (private) temp folders above its own.</summary>
    public static void MakeReachable(string folder)
    {
        for (var dir = folder; dir != "/" && dir.StartsWith(Path.GetTempPath().TrimEnd('/'), StringComparison.Ordinal); dir = Path.GetDirectoryName(dir)!)
            File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
    }

    /// <summary>
    /// A port nobody listens on, below Linux's ephemeral range (32768-60999) so no client socket can take it
    /// between the probe and the server's start; the OS's pick when the whole range is busy.
    /// </summary>
    public static int FreePort()
    {
        for (var i = 0; i < 50; i++)
        {
            var port = Random.Shared.Next(20000, 32000);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException) { }
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static void StopServer(string dataDir)
    {
        try { AsPostgres(Path.Combine(Bin, "pg_ctl"), "-D", dataDir, "-w", "-m", "immediate", "stop"); } catch (InvalidOperationException) { }
    }

    public void Dispose() => StopServer(DataDir);
}
