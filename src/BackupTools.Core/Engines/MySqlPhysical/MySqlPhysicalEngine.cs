using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.MySqlPhysical;

/// <summary>Physical MariaDB backups (Backup-MySqlPhysical), restored in place of a stopped server's data directory by Restore-MySqlPhysical.</summary>
public static class MySqlPhysicalEngine
{
    public static readonly BackupEngine Descriptor = new()
    {
        Name = MySqlPhysicalBackupOperation.EngineName,
        DisplayName = "MariaDB physical backup",
        Validators = new Dictionary<string, IContentValidator> { [BackupManifest.DataRole] = new MbstreamValidator() },
        RestoreTest = Ability<IRestoreTest>.NotApplicable(
            "a physical backup is a whole server: Restore-MySqlPhysical prepares and proves it on a temporary server before it replaces anything, not in a throwaway database"),
        RestorePriority = RestorePriorities.Database,
        RestoreCmdlet = "Restore-MySqlPhysical",
        Plan = Ability.Of(MySqlPhysicalPlanSource.Support),
    };
}
