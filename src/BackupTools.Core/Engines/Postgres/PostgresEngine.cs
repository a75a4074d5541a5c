using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Plans;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>The PostgreSQL logical engine (pg_dump per database) and its companion, the cluster's globals (pg_dumpall -g).</summary>
public static class PostgresEngine
{
    public static readonly BackupEngine Descriptor = new()
    {
        Name = PostgresBackupOperation.EngineName,
        DisplayName = "PostgreSQL",
        Validators = new Dictionary<string, IContentValidator> { [BackupManifest.DataRole] = new PostgresArchiveValidator() },
        RestoreTest = Ability.Of<IRestoreTest>(new PostgresRestoreTest()),
        RestoreCmdlet = "Restore-Postgres",
        RestorePriority = RestorePriorities.Database,
        Plan = Ability.Of(new PlanEngineSupport
        {
            Kind = "postgres",
            Requires = ["database"],
            DefaultPort = PostgresTarget.DefaultPort,
            Backup = c => EngineOutcomes.Single(new PostgresBackupOperation(c.Observer).Run(new PostgresBackupRequest(c.Repository, Target(c.Source, c.Password),
                [c.Source.Database!], false, false, false, [], [], c.Cell.Name, null, null, c.Keys, c.LockTimeout, c.Tags), c.Cancel)),
            Restore = c => new PostgresRestoreOperation(c.Observer).Run(new PostgresRestoreRequest(c.Repository, c.Manifest.Id, null, null, c.Source.Database,
                Target(c.Source, c.Password), c.Force, c.SkipSafetyBackup, null, c.Keys, c.LockTimeout, (_, _) => true), c.Cancel),
            SameSource = (m, s) => m.Source.EndsWith("/" + s.Database, StringComparison.Ordinal),
            Destination = s => $"postgres://{s.Server ?? "127.0.0.1"}:{s.Port ?? PostgresTarget.DefaultPort}/{s.Database}",
        }),
    };

    /// <summary>Roles and tablespaces (Backup-Postgres -IncludeGlobals): restored by hand with psql, so no plan kind and no restore test.</summary>
    public static readonly BackupEngine Globals = new()
    {
        Name = PostgresBackupOperation.GlobalsEngineName,
        DisplayName = "PostgreSQL globals",
        Validators = new Dictionary<string, IContentValidator> { [BackupManifest.DataRole] = new PostgresGlobalsValidator() },
        RestoreTest = Ability<IRestoreTest>.NotApplicable("globals are SQL for psql, applied by hand; the validator checks the script"),
        RestorePriority = RestorePriorities.Database,
        Plan = Ability<PlanEngineSupport>.NotApplicable("globals are taken by Backup-Postgres -IncludeGlobals, not by a plan source"),
    };

    /// <summary>A plan source's server as a PostgreSQL target (PG* variables and .pgpass fill what the plan leaves out).</summary>
    public static PostgresTarget Target(PlanSource source, string? password) => PostgresTarget.From(null, source.Server, source.Port, source.User, password);
}
