using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Retention;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>Archived WAL batches (Push-PostgresWal): not restorable alone, only as the WAL of a base backup.</summary>
public static class PgWalEngine
{
    public static readonly BackupEngine Descriptor = new()
    {
        Name = WalArchive.EngineName,
        DisplayName = "PostgreSQL WAL",
        Validators = new Dictionary<string, IContentValidator>
        {
            [BackupManifest.DataRole] = new HashedTarBatchValidator("wal", new BatchVocabulary("WAL batch", "WAL file", "WAL files",
                UnexpectedErrorId: "WalBatchUnexpectedFile", DamagedErrorId: "WalFileDamaged", MissingErrorId: "WalFileMissing"),
                batch => WalArchive.Files(batch).Select(f => (f.Name, f.Sha256))),
        },
        RestoreTest = Ability<IRestoreTest>.NotApplicable("a WAL batch is replayed only on top of a base backup (Restore-PostgresCluster)"),
        RestorePriority = RestorePriorities.Database,
        Plan = Ability<PlanEngineSupport>.NotApplicable("WAL is pushed by PostgreSQL's archive_command (Push-PostgresWal), not by a plan"),
        DependentRetention = new WalRetention(),
    };
}
