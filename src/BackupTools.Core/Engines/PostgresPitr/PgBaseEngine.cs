using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>Physical PostgreSQL base backups (Backup-PostgresBase), restored with their WAL by Restore-PostgresCluster.</summary>
public static class PgBaseEngine
{
    public static readonly BackupEngine Descriptor = new()
    {
        Name = PgBaseBackupOperation.EngineName,
        DisplayName = "PostgreSQL base backup",
        Validators = new Dictionary<string, IContentValidator> { [BackupManifest.DataRole] = new PgBaseBackupValidator() },
        RestoreTest = Ability.Of<IRestoreTest>(new PgBaseRestoreTest()),
        RestorePriority = RestorePriorities.Database,
        Plan = Ability.Of(PgClusterPlanSource.Support),
    };
}
