using System.Globalization;
using System.Text.RegularExpressions;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Errors;
using Npgsql;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// A PostgreSQL server BackupTools runs itself on a data directory it restored: only on 127.0.0.1 and its own
/// socket folder (the data directory), as the OS user that owns the files (runuser when we are root).
/// </summary>
public sealed partial class PgLocalServer(PgTools tools, string dataDir, int port, string log, string? osUser)
{
    private bool _started;
    private const string RecoveryMarker = "# added by BackupTools Restore-PostgresCluster";

    /// <summary>Takes the recovery settings out again (for a copy that replaces the live cluster and must archive as before).</summary>
    public void RemoveRecoverySettings()
    {
        var path = Path.Combine(dataDir, "postgresql.auto.conf");
        var lines = File.ReadAllLines(path);
        var at = Array.IndexOf(lines, RecoveryMarker);
        if (at >= 0) File.WriteAllLines(path, lines[..at]);
    }

    /// <summary>
    /// While BackupTools proves the copy, only local socket connections in the private data directory are trusted
    /// (whatever the restored pg_hba.conf says, e.g. peer for another OS user); KeepRunning restarts on the real one.
    /// </summary>
    private string ProvingHba => dataDir.TrimEnd('/') + ".bt-hba.conf";

    public void GiveToOwner(string walDir, IReadOnlyList<string> tablespaces, CancellationToken cancel)
    {
        if (osUser is null) return;
        foreach (var dir in new[] { dataDir, walDir }.Concat(tablespaces))
            ExternalTool.Run("chown", ["-R", $"{osUser}:", dir], new Dictionary<string, string>(), null, null, cancel);
        // The server's user must be able to reach the folders (a private temp parent would stop it).
        File.WriteAllText(log, "");
        ExternalTool.Run("chown", [$"{osUser}:", log], new Dictionary<string, string>(), null, null, cancel);
    }

    /// <summary>
    /// pg_verifybackup against the backup_manifest PostgreSQL wrote: every file there, none extra, each of its size. Its
    /// checksum pass (a second read of the whole cluster, the slowest step of a restore) is skipped: every byte was
    /// just unpacked from a stream whose SHA-256 the repository verified. The WAL is checked by replay (record CRCs).
    /// </summary>
    public void Verify(CancellationToken cancel)
    {
        var result = ExternalTool.Run(Path.Combine(tools.BinDir, "pg_verifybackup"), ["--no-parse-wal", "--skip-checksums", "--quiet", dataDir], new Dictionary<string, string>(), null, null, cancel, throwOnFailure: false);
        if (result.ExitCode != 0)
            throw new BackupIntegrityException("BaseBackupVerificationFailed", $"pg_verifybackup rejected the restored base backup: {result.Stderr.Trim().Split('\n').LastOrDefault()}");
    }

    /// <summary>Recovery settings: WAL from the staging folder, the target, promote when reached, and no archiving of its own.</summary>
    public void ConfigureRecovery(string walDir, RecoveryTarget target)
    {
        var settings = new List<string>
        {
            RecoveryMarker,
            $"restore_command = 'cp \"{walDir}/%f\" \"%p\"'",
            "recovery_target_timeline = 'latest'",
            "archive_mode = 'off'", // a restored copy must never archive into the source's spool
            // A base backup of a standby carries its replication settings: the copy must recover from the archive
            // alone and promote, never follow (or wait for) the old primary.
            "primary_conninfo = ''",
            "primary_slot_name = ''",
        };
        File.Delete(Path.Combine(dataDir, "standby.signal"));
        settings.AddRange(target.Settings());
        File.AppendAllLines(Path.Combine(dataDir, "postgresql.auto.conf"), settings);
        File.WriteAllText(Path.Combine(dataDir, "recovery.signal"), "");
        if (osUser != null)
            foreach (var file in new[] { "postgresql.auto.conf", "recovery.signal" })
                ExternalTool.Run("chown", [$"{osUser}:", Path.Combine(dataDir, file)], new Dictionary<string, string>(), null, null, CancellationToken.None);
    }

    /// <summary>Starts the server, waits until recovery ended and it promoted; returns the commit time it stopped at (from its log).</summary>
    public DateTimeOffset? Recover(RecoveryTarget at, string? gap, TimeSpan limit, CancellationToken cancel)
    {
        File.WriteAllText(ProvingHba, "local all all trust\n");
        if (osUser != null) ExternalTool.Run("chown", [$"{osUser}:", ProvingHba], new Dictionary<string, string>(), null, null, cancel);
        try
        {
            Start($"-c hba_file='{ProvingHba}'", cancel);
        }
        catch (BackupToolsException)
        {
            // A recovery that ends at once (target beyond the WAL) stops the server before pg_ctl sees it up: the log says why.
            ThrowIfStopped(at, gap);
            throw;
        }
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            var text = ThrowIfStopped(at, gap);
            if (TryQuery("select pg_is_in_recovery()", r => r.GetBoolean(0), out var inRecovery) && !inRecovery) return StoppedAt(text);
            if (DateTime.UtcNow > deadline)
                throw new BackupToolsException("RecoveryTimeout", FailureKind.ResourceBusy, $"Recovery did not finish within {limit.TotalHours:0} h.");
            Thread.Sleep(200);
        }
    }

    /// <summary>Throws the reason when the log says recovery stopped; returns the log text otherwise.</summary>
    private string ThrowIfStopped(RecoveryTarget at, string? gap)
    {
        var text = File.Exists(log) ? File.ReadAllText(log) : "";
        if (text.Contains("recovery ended before configured recovery target was reached", StringComparison.Ordinal))
            throw new BackupToolsException("RecoveryTargetNotReached", FailureKind.NotFound,
                $"The archived WAL ends before {at.Describe()}" + (gap is null ? "" : $" because of a gap: {gap}") + "; nothing was handed over.",
                gap is null ? "Pick an earlier target, wait until the WAL covering it is pushed (Push-PostgresWal), or (for -Xid/-RestorePoint) start from an older -BaseBackupId." : "Pick a target before the gap, or find the missing WAL.");
        if (FatalLine(text) is { } fatal)
            throw new BackupToolsException("RecoveryFailed", FailureKind.ExternalToolFailure, $"The recovering server stopped: {fatal}");
        return text;
    }

    /// <summary>The promoted server answers a real query.</summary>
    public void Check(CancellationToken cancel)
    {
        if (!TryQuery("select count(*) from pg_database", r => r.GetInt64(0), out var databases) || databases < 1)
            throw new BackupToolsException("RecoveryCheckFailed", FailureKind.ExternalToolFailure, "The recovered server does not answer queries.");
    }

    /// <summary>Restarts on the restored cluster's own pg_hba.conf, for the user to take over.</summary>
    public void Handover(CancellationToken cancel)
    {
        Stop(cancel);
        File.Delete(ProvingHba);
        Start("", cancel);
    }

    private void Start(string extra, CancellationToken cancel)
    {
        PgCtl(["start", "-w", "-t", "600", "-l", log, "-o", $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{dataDir}' {extra}"], cancel);
        _started = true;
    }

    public void Stop(CancellationToken cancel)
    {
        PgCtl(["stop", "-w", "-t", "600", "-m", "fast"], cancel);
        _started = false;
    }

    public void StopQuietly()
    {
        if (!_started) return;
        try { PgCtl(["stop", "-w", "-t", "60", "-m", "immediate"], CancellationToken.None); } catch (BackupToolsException) { }
        _started = false;
        File.Delete(ProvingHba);
    }

    private void PgCtl(IEnumerable<string> args, CancellationToken cancel)
    {
        var pgCtl = Path.Combine(tools.BinDir, "pg_ctl");
        var all = new List<string> { "-D", dataDir };
        all.AddRange(args);
        if (osUser is null) ExternalTool.Run(pgCtl, all, new Dictionary<string, string>(), null, null, cancel);
        else ExternalTool.Run("runuser", ["-u", osUser, "--", pgCtl, .. all], new Dictionary<string, string>(), null, null, cancel);
    }

    private bool TryQuery<T>(string sql, Func<NpgsqlDataReader, T> read, out T value)
    {
        value = default!;
        try
        {
            // Through its socket folder as the server's own superuser: a fresh copy trusts local connections as initdb set it.
            var builder = new NpgsqlConnectionStringBuilder { Host = dataDir, Port = port, Username = osUser ?? Environment.UserName, Database = "postgres", Timeout = 5, Pooling = false };
            using var connection = new NpgsqlConnection(builder.ConnectionString);
            connection.Open();
            value = PostgresInspector.Query(connection, sql, read).Single();
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or System.Net.Sockets.SocketException) { return false; }
    }

    [GeneratedRegex(@"recovery stopping before (?:commit|abort) of transaction \d+, time (?<time>[0-9-]+ [0-9:.]+[+-]\d{2}(?::?\d{2})?)")]
    private static partial Regex StoppingBefore();

    [GeneratedRegex(@"last completed transaction was at log time (?<time>[0-9-]+ [0-9:.]+[+-]\d{2}(?::?\d{2})?)")]
    private static partial Regex LastCompleted();

    private static DateTimeOffset? StoppedAt(string log)
    {
        var match = StoppingBefore().Match(log) is { Success: true } m ? m : LastCompleted().Match(log);
        return match.Success && DateTimeOffset.TryParse(match.Groups["time"].Value + (match.Groups["time"].Value.Contains(':', StringComparison.Ordinal) && match.Groups["time"].Value[^3] is '+' or '-' ? ":00" : ""),
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;
    }

    private static string? FatalLine(string log) =>
        log.Split('\n').FirstOrDefault(l => l.Contains("FATAL:", StringComparison.Ordinal) && !l.Contains("the database system is starting up", StringComparison.Ordinal)
            && !l.Contains("the database system is not yet accepting connections", StringComparison.Ordinal))?.Trim();
}
