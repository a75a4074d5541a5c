using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Errors;
using BackupTools.Core.Plans;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.MySqlPhysical;

/// <summary>
/// backup.yml `type: mysql-physical`: a whole MariaDB server, backed up physically (Backup-MySqlPhysical) into the plan's
/// cell, whose binlog is archived into binlogCell (default: the same cell) — by each run itself when binlogSpool is
/// given (one pass of Push-MySqlBinlog after the backup), else by a Push-MySqlBinlog -Watch beside it. Restore-Cell
/// restores it in place, as postgres-cluster does: the server on `path:` is stopped (stop:), the newest physical
/// backup at or before -At is prepared, replayed to -At (without -At: to the end of the archive) and proven on a
/// temporary server, swapped in (the old directory kept), and started (start:).
/// </summary>
public static class MySqlPhysicalPlanSource
{
    public const string Kind = "mysql-physical";
    private const string BinlogCellOption = "binlogCell";
    private const string BinlogSpoolOption = "binlogSpool";

    public static readonly PlanEngineSupport Support = new()
    {
        Kind = Kind,
        Requires = ["path"],
        TakesPath = true,
        Options = [BinlogCellOption, BinlogSpoolOption],
        Validate = Validate,
        DefaultPort = MySqlTarget.DefaultPort,
        Backup = c => new MySqlPhysicalBackupOperation(c.Observer).Run(new MySqlPhysicalBackupRequest(c.Repository, MySqlEngine.Target(c.Source, c.Password), c.Cell.Name,
            null, null, c.Keys, c.LockTimeout, c.Tags), c.Cancel),
        ShipLog = ShipLog,
        Restore = Restore,
        SameSource = (m, s) => m.Source.EndsWith($"@{s.Server ?? "127.0.0.1"}:{s.Port ?? MySqlTarget.DefaultPort}", StringComparison.Ordinal),
        Destination = s => $"{s.Path} (server {s.Server ?? "127.0.0.1"}:{s.Port ?? MySqlTarget.DefaultPort})",
        Replay = Replay,
    };

    private static string BinlogCell(PlanSource source, PlanCell cell) => source.Option(BinlogCellOption) ?? cell.Name;

    private static IEnumerable<(string Key, string Message)> Validate(PlanSource source)
    {
        if (source.Path is { } path && !Path.IsPathRooted(path))
            yield return ("path", $"a {Kind} source's path is the server's data directory on this host, as an absolute path (got '{path}').");
        if (source.Option(BinlogSpoolOption) is { } spool && !Path.IsPathRooted(spool))
            yield return (BinlogSpoolOption, $"binlogSpool is the folder each run streams the binlog into before shipping it: an absolute path (got '{spool}').");
        if (source.Option(BinlogCellOption) is { } cell && !BackupId.IsValidCellName(cell))
            yield return (BinlogCellOption, $"binlogCell '{cell}' is not a cell name (1-64 letters, digits, '.', '_', '-', starting with a letter or digit).");
    }

    /// <summary>With binlogSpool: one pass of the binlog archiver (Push-MySqlBinlog without -Watch) into binlogCell; its batches.</summary>
    private static IReadOnlyList<BackupRecord> ShipLog(PlanBackupContext c)
    {
        if (c.Source.Option(BinlogSpoolOption) is not { } spool) return [];
        var request = new BinlogArchiveRequest(c.Repository, MySqlEngine.Target(c.Source, c.Password), BinlogCell(c.Source, c.Cell), spool, null, null, c.Keys,
            c.LockTimeout, Watch: false, Interval: TimeSpan.Zero);
        using var repository = c.Repository.Open();
        return new BinlogArchiver(c.Observer).Run(request, c.Cancel).Select(r => repository.ToRecord(repository.GetManifest(r.BatchId!))).ToList();
    }

    /// <summary>A binlog archive of the server: the backup plus the replay to -At, or (no -At) to the archive's end.</summary>
    private static string? Replay(PlanReplayQuery q)
    {
        var cell = BinlogCell(q.Source, q.Cell);
        if (new BinlogArchive(q.Manifests, cell).IsEmpty) return null;
        return $"binlog replay of cell {cell} {new BinlogReplayTarget(cell, q.At, null).Describe()}";
    }

    private static RestoreOutcome? Restore(PlanRestoreContext c)
    {
        if (OperatingSystem.IsWindows())
            throw new BackupToolsException("MySqlPhysicalRestoreUnsupported", FailureKind.InvalidArgument, $"{c.Cell.Name}/{c.Source.Name}: a MariaDB data directory is restored on Linux/macOS only.",
                "Run Restore-Cell on the database host.");
        c.Control.Stop();
        var startAttempted = false;
        try
        {
            return new MySqlPhysicalRestoreOperation(c.Observer).Run(new MySqlPhysicalRestoreRequest(c.Repository, c.Manifest.Id, null, c.Source.Path!,
                c.Replay ? new BinlogReplayTarget(BinlogCell(c.Source, c.Cell), c.At, null) : null, null, MySqlEngine.Target(c.Source, c.Password),
                KeepPrevious: true, null, c.Keys, (_, _) => true)
            {
                StartAction = c.Control.StartAction is { } start ? () => { startAttempted = true; start(); } : null,
            }, c.Cancel); // no safety backup: the replaced data directory is kept beside it (PreviousDataDirectory)
        }
        catch when (!startAttempted)
        {
            c.Control.StartUntouched(c.Observer); // the failed restore left the data directory as it was: bring the server back
            throw;
        }
    }
}
