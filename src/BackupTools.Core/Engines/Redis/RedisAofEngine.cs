using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.Redis;

/// <summary>The Redis AOF engine (Backup-RedisAof): the append-only files of a server, as a tar.</summary>
public static class RedisAofEngine
{
    public static readonly BackupEngine Descriptor = new()
    {
        Name = RedisAofBackupOperation.EngineName,
        DisplayName = "Redis AOF",
        Validators = new Dictionary<string, IContentValidator> { [BackupManifest.DataRole] = new RedisAofValidator() },
        RestoreTest = Ability<IRestoreTest>.NotApplicable("no AOF restore exists yet; the validator replays every command's framing"),
        RestorePriority = RestorePriorities.Cache,
        Plan = Ability<PlanEngineSupport>.NotApplicable("a plan's redis source takes RDB snapshots; AOF backups are taken with Backup-RedisAof"),
    };
}
