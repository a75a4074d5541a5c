using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Verification;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Plans;

/// <summary>
/// One plan source → the same core operation its cmdlet calls (Backup-Cell, Backup-Postgres, Backup-MySql, …),
/// found through the engine registry and tagged with the plan's source name so every record says which source
/// of the cell it is.
/// </summary>
public static class PlanSourceBackup
{
    public const string SourceTag = "plan-source";

    public static BackupRecord Run(RepositoryReference repository, PlanCell cell, PlanSource source, BackupKeyRing? keys, TimeSpan lockTimeout,
        IOperationObserver observer, CancellationToken cancel) =>
        EngineRegistry.PlanOf(source.Kind).Backup(Context(repository, cell, source, keys, lockTimeout, observer, cancel));

    /// <summary>The source kind's log shipping after its backup (PlanEngineSupport.ShipLog): the records written, none when the kind ships no log.</summary>
    public static IReadOnlyList<BackupRecord> ShipLog(RepositoryReference repository, PlanCell cell, PlanSource source, BackupKeyRing? keys, TimeSpan lockTimeout,
        IOperationObserver observer, CancellationToken cancel) =>
        EngineRegistry.PlanOf(source.Kind).ShipLog is { } ship ? ship(Context(repository, cell, source, keys, lockTimeout, observer, cancel)) : [];

    private static PlanBackupContext Context(RepositoryReference repository, PlanCell cell, PlanSource source, BackupKeyRing? keys, TimeSpan lockTimeout,
        IOperationObserver observer, CancellationToken cancel)
    {
        var tags = new Dictionary<string, string> { [SourceTag] = source.Name };
        var password = SecretResolver.Resolve(source.Password, $"cells.{cell.Name}.sources.{source.Name}.password");
        return new PlanBackupContext(repository, cell, source, password, keys, lockTimeout, tags, observer, cancel);
    }

    /// <summary>
    /// Where a restore test of this source's backup runs: the source's own server (a throwaway database there). Engines
    /// without a restore test say so in the check; the target is only read by those that have one.
    /// </summary>
    public static RestoreTestTarget RestoreTestTarget(PlanSource source) =>
        new(null, source.Server, source.Port, source.User, SecretResolver.Resolve(source.Password, $"sources.{source.Name}.password"), null);
}
