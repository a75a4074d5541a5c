using System.Diagnostics;
using BackupTools.Core.Errors;
using MySqlConnector;

namespace BackupTools.Core.Engines.MySqlPhysical;

/// <summary>
/// A temporary mariadbd on a restored data directory, reachable only through a socket in a private folder
/// (--skip-networking) and without grant checks: nobody else can reach it, and the restore needs no password to prove
/// the data and replay the binlog into it. Its own binlog is off, so the replay does not start a new history there.
/// </summary>
public sealed class MariaDbScratchServer : IDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(10);
    private readonly Process _process;
    private readonly string _folder;

    private MariaDbScratchServer(Process process, string folder) => (_process, _folder) = (process, folder);

    /// <summary>Socket path: kept short (a socket path has ~100 bytes), so in a folder of its own under /tmp rather than beside the data.</summary>
    public string Socket => Path.Combine(_folder, "s.sock");

    public string ErrorLog => Path.Combine(_folder, "error.log");

    /// <summary>A [client] section for the mariadb client tool: this server's socket.</summary>
    public string DefaultsFileContent => $"[client]\nsocket={Socket}\nuser=root\n";

    public static MariaDbScratchServer Start(string mariadbd, string dataDir, string? runAs, CancellationToken cancel)
    {
        var folder = System.IO.Directory.CreateTempSubdirectory("bt-mdb-").FullName;
        if (runAs != null) Chown(runAs, folder);
        var info = new ProcessStartInfo(mariadbd) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--no-defaults", $"--datadir={dataDir}", $"--socket={folder}/s.sock", "--skip-networking", "--skip-grant-tables",
                     "--skip-log-bin", "--skip-slave-start", $"--pid-file={folder}/mariadbd.pid", $"--log-error={folder}/error.log", "--innodb-buffer-pool-size=128M" })
            info.ArgumentList.Add(a);
        if (runAs != null) info.ArgumentList.Add($"--user={runAs}");
        var process = Process.Start(info) ?? throw new BackupToolsException("MySqlScratchServerFailed", FailureKind.ExternalToolFailure, $"{mariadbd} did not start.");
        process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        process.StandardError.BaseStream.CopyToAsync(Stream.Null);
        var server = new MariaDbScratchServer(process, folder);
        try
        {
            server.WaitUntilAnswering(cancel);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public MySqlConnection Open()
    {
        var connection = new MySqlConnection($"Server={Socket};Protocol=Unix;User ID=root;Pooling=false;Default Command Timeout=0;Allow User Variables=true");
        connection.Open();
        return connection;
    }

    private void WaitUntilAnswering(CancellationToken cancel)
    {
        var until = DateTime.UtcNow + StartLimit;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            if (_process.HasExited)
                throw new BackupToolsException("MySqlScratchServerFailed", FailureKind.ExternalToolFailure,
                    $"The temporary server on the restored data stopped (exit {_process.ExitCode}): {LogTail()}", "The backup's data does not start a server; nothing was replaced.");
            if (File.Exists(Socket))
            {
                try
                {
                    using var connection = Open();
                    return;
                }
                catch (MySqlException) { }
            }
            if (DateTime.UtcNow > until)
                throw new BackupToolsException("MySqlScratchServerFailed", FailureKind.ExternalToolFailure, $"The temporary server did not answer within {StartLimit.TotalMinutes:0} min: {LogTail()}");
            Thread.Sleep(200);
        }
    }

    public string LogTail()
    {
        try
        {
            var lines = File.ReadAllLines(ErrorLog);
            return string.Join(" | ", lines.Where(l => l.Contains("[ERROR]", StringComparison.Ordinal)).TakeLast(3).DefaultIfEmpty(lines.LastOrDefault() ?? ""));
        }
        catch (IOException) { return "(no error log)"; }
    }

    /// <summary>A clean shutdown: InnoDB flushes everything, so the data directory is ready for the real server.</summary>
    public void Stop()
    {
        if (_process.HasExited) return;
        try
        {
            using var connection = Open();
            using var command = new MySqlCommand("shutdown", connection);
            command.ExecuteNonQuery();
        }
        catch (MySqlException) { }
        if (!_process.WaitForExit(TimeSpan.FromMinutes(10)))
            throw new BackupToolsException("MySqlScratchServerFailed", FailureKind.ExternalToolFailure, "The temporary server did not shut down within 10 min; nothing was replaced.");
        if (_process.ExitCode != 0)
            throw new BackupToolsException("MySqlScratchServerFailed", FailureKind.ExternalToolFailure, $"The temporary server shut down with exit code {_process.ExitCode}: {LogTail()}");
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit();
        _process.Dispose();
        try { System.IO.Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    public static void Chown(string user, string path)
    {
        var chown = Process.Start(new ProcessStartInfo("chown", ["-R", user, path]) { UseShellExecute = false, RedirectStandardError = true })!;
        var error = chown.StandardError.ReadToEnd();
        chown.WaitForExit();
        if (chown.ExitCode != 0)
            throw new BackupToolsException("MySqlRestoreOwnerFailed", FailureKind.ExternalToolFailure, $"chown -R {user} {path} failed: {error.Trim()}");
    }
}
