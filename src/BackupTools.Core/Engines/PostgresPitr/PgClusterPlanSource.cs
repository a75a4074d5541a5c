using System.Globalization;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Errors;
using BackupTools.Core.Plans;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// backup.yml `type: postgres-cluster`: a whole cluster, backed up physically (Backup-PostgresBase) into the plan's cell,
/// whose WAL Push-PostgresWal or Receive-PostgresWal archives into the same cell. Restore-Cell recovers it in place:
/// the cluster in `path:` is stopped (stop:), the newest base backup at or before -At plus the WAL up to -At (without
/// -At: all archived WAL) is recovered and proven beside it, swapped in (the old directory kept), and started (start:).
/// </summary>
public static class PgClusterPlanSource
{
    public const string Kind = "postgres-cluster";
    private const string RecoveryPortOption = "recoveryPort";
    private const string OsUserOption = "osUser";

    public static readonly PlanEngineSupport Support = new()
    {
        Kind = Kind,
        Requires = ["path"],
        TakesPath = true,
        Options = [RecoveryPortOption, OsUserOption],
        Validate = Validate,
        DefaultPort = PostgresTarget.DefaultPort,
        Backup = c => new PgBaseBackupOperation(c.Observer).Run(new PgBaseBackupRequest(c.Repository, PostgresEngine.Target(c.Source, c.Password), c.Cell.Name,
            null, null, c.Keys, c.LockTimeout, c.Tags), c.Cancel),
        Restore = Restore,
        SameSource = (m, s) => m.Source.EndsWith($"@{s.Server ?? "127.0.0.1"}:{s.Port ?? PostgresTarget.DefaultPort}", StringComparison.Ordinal),
        Destination = s => $"{s.Path} (cluster {s.Server ?? "127.0.0.1"}:{s.Port ?? PostgresTarget.DefaultPort})",
        Replay = q => $"WAL replay of cell {q.Cell.Name} to {(q.At is { } at ? at.ToString("u", CultureInfo.InvariantCulture) : "the end of the archive")}",
    };

    private static IEnumerable<(string Key, string Message)> Validate(PlanSource source)
    {
        if (source.Path is { } path && !Path.IsPathRooted(path))
            yield return ("path", $"a {Kind} source's path is the cluster's data directory on this host, as an absolute path (got '{path}').");
        if (source.Option(RecoveryPortOption) is { } port && !(int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 65536))
            yield return (RecoveryPortOption, $"recoveryPort is the port of the temporary server that recovers the copy: a number 1-65535 (got '{port}').");
    }

    /// <summary>The recovering server's port: recoveryPort, else the cluster's own (free while the cluster is stopped).</summary>
    private static int RecoveryPort(PlanSource source) =>
        source.Option(RecoveryPortOption) is { } port ? int.Parse(port, CultureInfo.InvariantCulture) : source.Port ?? PostgresTarget.DefaultPort;

    private static RestoreOutcome? Restore(PlanRestoreContext c)
    {
        if (OperatingSystem.IsWindows())
            throw new BackupToolsException("PostgresClusterRestoreUnsupported", FailureKind.InvalidArgument, $"{c.Cell.Name}/{c.Source.Name}: a PostgreSQL data directory is restored on Linux/macOS only.",
                "Run Restore-Cell on the database host.");
        c.Control.Stop();
        PgPitrRestoreResult? result;
        try
        {
            result = new PgPitrRestoreOperation(c.Observer).Run(new PgPitrRestoreRequest(c.Repository, c.Cell.Name, c.At, c.Manifest.Id, c.Source.Path!, RecoveryPort(c.Source),
                KeepRunning: false, c.Source.Option(OsUserOption), null, c.Keys, (_, _) => true, InPlace: true), c.Cancel);
        }
        catch
        {
            c.Control.StartUntouched(c.Observer); // the failed restore left the cluster as it was: bring it back
            throw;
        }
        c.Control.Start();
        return result; // no safety backup: the replaced data directory is kept beside it (PreviousDataDirectory)
    }
}
