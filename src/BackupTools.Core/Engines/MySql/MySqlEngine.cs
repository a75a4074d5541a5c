using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Plans;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.MySql;

/// <summary>The MySQL/MariaDB logical engine (one dump per database).</summary>
public static class MySqlEngine
{
    public static readonly BackupEngine Descriptor = new()
    {
        Name = MySqlBackupOperation.EngineName,
        DisplayName = "MySQL/MariaDB",
        Validators = new Dictionary<string, IContentValidator> { [BackupManifest.DataRole] = new MySqlDumpValidator() },
        RestoreTest = Ability.Of<IRestoreTest>(new MySqlRestoreTest()),
        RestoreCmdlet = "Restore-MySql",
        RestorePriority = RestorePriorities.Database,
        Plan = Ability.Of(new PlanEngineSupport
        {
            Kind = "mysql",
            Requires = ["database"],
            Options = [BinlogCellOption],
            DefaultPort = MySqlTarget.DefaultPort,
            Backup = c => EngineOutcomes.Single(new MySqlBackupOperation(c.Observer).Run(new MySqlBackupRequest(c.Repository, Target(c.Source, c.Password),
                [c.Source.Database!], false, false, c.Cell.Name, null, null, c.Keys, c.LockTimeout, c.Tags), c.Cancel)),
            Restore = c => new MySqlRestoreOperation(c.Observer).Run(new MySqlRestoreRequest(c.Repository, c.Manifest.Id, null, null, c.Source.Database,
                Target(c.Source, c.Password), c.SkipSafetyBackup, null, c.Keys, c.LockTimeout, (_, _) => true, c.Force,
                c.Replay && c.At is { } at ? new BinlogReplayTarget(BinlogCell(c.Source, c.Cell), at, null) : null), c.Cancel),
            SameSource = (m, s) => m.Source.EndsWith("/" + s.Database, StringComparison.Ordinal),
            Destination = s => $"mysql://{s.Server ?? "127.0.0.1"}:{s.Port ?? MySqlTarget.DefaultPort}/{s.Database}",
            Replay = Replay,
        }),
    };

    /// <summary>The cell Push-MySqlBinlog archives the source's server into: binlogCell, else the plan's cell.</summary>
    private const string BinlogCellOption = "binlogCell";

    private static string BinlogCell(PlanSource source, PlanCell cell) => source.Option(BinlogCellOption) ?? cell.Name;

    /// <summary>With -At and an archived binlog (Restore-MySql -BinlogCell -At): the dump plus the binlog from its position up to At.</summary>
    private static string? Replay(PlanReplayQuery q)
    {
        if (q.At is not { } at) return null;
        var cell = BinlogCell(q.Source, q.Cell);
        return new BinlogArchive(q.Manifests, cell).IsEmpty ? null : $"binlog replay of cell {cell} to {at:u}";
    }

    /// <summary>A plan source's server as a MySQL target.</summary>
    public static MySqlTarget Target(PlanSource source, string? password) => MySqlTarget.From(null, source.Server, source.Port, source.User, password);
}
