namespace BackupTools.Core.Repository;

/// <summary>
/// Tags on the backup a restore takes of the data it is about to replace (every engine). Such a backup is a way
/// back, not a restore point: selectors skip it unless asked for by id.
/// </summary>
public static class SafetyBackup
{
    public const string Reason = "safety-before-restore";

    public static IReadOnlyDictionary<string, string> Tags(string restoringId) => new Dictionary<string, string>
    {
        ["reason"] = Reason,
        ["restoring"] = restoringId,
    };

    public static bool IsSafetyBackup(BackupManifest manifest) => manifest.Tags.GetValueOrDefault("reason") == Reason;
}
