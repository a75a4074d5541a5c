using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Repository;
using BackupTools.Core.Retention;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.MySqlPitr;

/// <summary>Archived binlog batches (Push-MySqlBinlog): not restorable alone, only replayed on top of a dump (Restore-MySql -BinlogCell).</summary>
public static class BinlogEngine
{
    public static readonly BackupEngine Descriptor = new()
    {
        Name = BinlogArchive.EngineName,
        DisplayName = "MySQL binlog",
        Validators = new Dictionary<string, IContentValidator>
        {
            [BackupManifest.DataRole] = new HashedTarBatchValidator("binlog", new BatchVocabulary("binlog batch", "Binlog segment", "binlog segments",
                UnexpectedErrorId: "BinlogBatchUnexpectedEntry", DamagedErrorId: "MySqlBinlogDamaged", MissingErrorId: "BinlogBatchIncomplete"),
                batch => BinlogArchive.Segments(batch).Select(s => (s.EntryName, s.Sha256))),
        },
        RestoreTest = Ability<IRestoreTest>.NotApplicable("a binlog batch is replayed only on top of a dump or a physical backup (Restore-MySql / Restore-MySqlPhysical -BinlogCell)"),
        RestorePriority = RestorePriorities.Database,
        Plan = Ability<PlanEngineSupport>.NotApplicable("the binlog is archived by Push-MySqlBinlog -Watch, a long-running service, not by a plan"),
        DependentRetention = new BinlogRetention(),
    };
}
