using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MySqlConnector;

namespace BackupTools.Tests.MySqlPitr;

/// <summary>
/// A private MariaDB with the binlog on (ROW, server-id 1) in its own folder, on a free port from BT_MYSQL_PORT+34
/// (a helper's own range) upwards, so tests may rotate, purge and restart it without touching the shared server.
/// </summary>
public sealed class ArchivingMariaDb : IDisposable
{
    public const string Password = "Binlog-Test-Pass";

    public ArchivingMariaDb(string folder)
    {
        Folder = folder;
        DataDir = Path.Combine(folder, "data");
        Directory.CreateDirectory(folder);
        Run("mariadb-install-db", "--no-defaults", $"--datadir={DataDir}", "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db");
        File.WriteAllText(Path.Combine(folder, "init.sql"),
            $"CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '{Password}';\nALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '{Password}';\nGRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;\n");
        Port = FreePort();
        try { Start(); }
        catch
        {
            Dispose(); // the caller never gets an instance to dispose
            throw;
        }
    }

    public string Folder { get; }
    public string DataDir { get; }
    public int Port { get; }
    public string BinlogDir => Folder;

    public string ConnectionString(string? database = null) =>
        $"Server=127.0.0.1;Port={Port};User ID=root;Password={Password};Database={database ?? ""};Pooling=false;AllowUserVariables=true";

    public void Start()
    {
        var info = new ProcessStartInfo("mariadbd") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in ServerArguments) info.ArgumentList.Add(a);
        Process.Start(info)!.Dispose();
        WaitUntilAnswering();
    }

    private string[] ServerArguments =>
    [
        "--no-defaults", "--user=root", $"--datadir={DataDir}", $"--socket={Folder}/s.sock", $"--port={Port}", "--bind-address=127.0.0.1",
        $"--pid-file={Folder}/mariadb.pid", $"--log-bin={Folder}/binlog", "--server-id=1", "--binlog-format=ROW", $"--init-file={Folder}/init.sql",
        $"--log-error={Folder}/error.log", "--innodb-buffer-pool-size=32M", "--skip-name-resolve",
    ];

    /// <summary>What a service manager would run: this server started in the background (for -StartCommand).</summary>
    public string StartCommandLine => "mariadbd " + string.Join(" ", ServerArguments.Select(a => $"'{a}'")) + " </dev/null >/dev/null 2>&1 &";

    public void WaitUntilAnswering()
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var c = new MySqlConnection(ConnectionString());
                c.Open();
                return;
            }
            catch (MySqlException) when (DateTime.UtcNow < until && !ServerFailed()) { Thread.Sleep(200); }
        }
    }

    /// <summary>Started but refusing us (wrong password) or aborted: waiting longer will not help.</summary>
    private bool ServerFailed() => File.Exists(Path.Combine(Folder, "error.log")) && File.ReadAllText(Path.Combine(Folder, "error.log")) is var log
        && (log.Contains("[ERROR] Aborting", StringComparison.Ordinal) || log.Contains("Access denied", StringComparison.Ordinal));

    /// <summary>A clean shutdown: the server writes a STOP event and starts a new binlog file when started again.</summary>
    public void Stop()
    {
        var pidFile = Path.Combine(Folder, "mariadb.pid");
        if (!File.Exists(pidFile)) return;
        Execute("shutdown");
        var until = DateTime.UtcNow.AddSeconds(60);
        while (File.Exists(pidFile) && DateTime.UtcNow < until) Thread.Sleep(100);
    }

    public void Execute(string sql, string? database = null)
    {
        using var c = new MySqlConnection(ConnectionString(database));
        c.Open();
        using var cmd = new MySqlCommand(sql, c);
        try { cmd.ExecuteNonQuery(); }
        catch (MySqlException) when (sql == "shutdown") { }
    }

    public List<string> Column(string sql, string? database = null)
    {
        using var c = new MySqlConnection(ConnectionString(database));
        c.Open();
        using var cmd = new MySqlCommand(sql, c);
        using var r = cmd.ExecuteReader();
        var values = new List<string>();
        while (r.Read()) values.Add(Convert.ToString(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        return values;
    }

    private static int FreePort()
    {
        var first = (int.TryParse(Environment.GetEnvironmentVariable("BT_MYSQL_PORT"), out var p) ? p : 33069) + 34;
        for (var port = first; port < first + 30; port++)
        {
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException($"No free port in {first}..{first + 29}.");
    }

    private static void Run(string exe, params string[] args)
    {
        var info = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} failed: {err.Result}");
    }

    public void Dispose()
    {
        try { Stop(); } catch (MySqlException) { }
        var pidFile = Path.Combine(Folder, "mariadb.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
            try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { }
    }
}
