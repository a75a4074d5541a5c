namespace BackupTools.Core.Engines.Directory;

/// <summary>Tags on the full backup a restore takes of the data it is about to replace.</summary>
public static class SafetyBackup
{
    public const string Reason = "safety-before-restore";

    public static IReadOnlyDictionary<string, string> Tags(string restoringId) => new Dictionary<string, string>
    {
        ["reason"] = Reason,
        ["restoring"] = restoringId,
    };
}
