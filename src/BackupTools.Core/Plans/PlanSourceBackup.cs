using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Engines.Redis;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Verification;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Plans;

/// <summary>
/// One plan source → the same core operation its cmdlet calls (Backup-Cell, Backup-Postgres, Backup-MySql, …),
/// tagged with the plan's source name so every record says which source of the cell it is.
/// </summary>
public static class PlanSourceBackup
{
    public const string SourceTag = "plan-source";

    public static BackupRecord Run(RepositoryReference repository, PlanCell cell, PlanSource source, BackupKeyRing? keys, TimeSpan lockTimeout,
        IOperationObserver observer, CancellationToken cancel)
    {
        var tags = new Dictionary<string, string> { [SourceTag] = source.Name };
        var password = SecretResolver.Resolve(source.Password, $"cells.{cell.Name}.sources.{source.Name}.password");
        switch (source.Kind)
        {
            case "directory":
                // With fullEvery: incrementals on the newest backup of this source, a new Full once the last one is that old.
                return new CellBackupOperation(observer).Run(new CellBackupRequest(repository, cell.Name, source.Path!,
                    source.FullEvery is null ? BackupKind.Full : BackupKind.Incremental, null, keys, lockTimeout, tags, source.FullEvery), cancel);
            case "postgres":
                return Single(new PostgresBackupOperation(observer).Run(new PostgresBackupRequest(repository, Postgres(source, password), [source.Database!],
                    false, false, false, [], [], cell.Name, null, null, keys, lockTimeout, tags), cancel));
            case "mysql":
                return Single(new MySqlBackupOperation(observer).Run(new MySqlBackupRequest(repository, MySql(source, password), [source.Database!],
                    false, false, cell.Name, null, null, keys, lockTimeout, tags), cancel));
            case "redis":
                return new RedisBackupOperation(observer).Run(new RedisBackupRequest(repository, Redis(source, password), RedisBackupMode.Replication, null,
                    TimeSpan.FromMinutes(10), cell.Name, null, keys, lockTimeout, tags), cancel);
            default:
                throw new BackupInputException("PlanSourceUnsupported", "Plan", $"source {cell.Name}/{source.Name} is of type {source.Kind}, which this version cannot back up yet.", "Back it up with its own cmdlet meanwhile.");
        }
    }

    /// <summary>Where a restore test of this source's backup runs: the source's own server, in a throwaway database.</summary>
    public static RestoreTestTarget? RestoreTestTarget(PlanSource source) => source.Kind is "postgres" or "mysql"
        ? new RestoreTestTarget(null, source.Server, source.Port, source.User, SecretResolver.Resolve(source.Password, $"sources.{source.Name}.password"), null)
        : null;

    public static PostgresTarget Postgres(PlanSource source, string? password) => PostgresTarget.From(null, source.Server, source.Port, source.User, password);

    public static RedisTarget Redis(PlanSource source, string? password) => RedisTarget.From(source.Server, source.Port, source.User, password, source.Tls, false);

    public static MySqlTarget MySql(PlanSource source, string? password) => MySqlTarget.From(null, source.Server, source.Port, source.User, password);

    private static BackupRecord Single(IReadOnlyList<ItemOutcome> outcomes)
    {
        var outcome = outcomes.Single();
        return outcome.Record ?? throw (outcome.Error ?? new InvalidOperationException("the backup produced neither a record nor an error"));
    }
}
