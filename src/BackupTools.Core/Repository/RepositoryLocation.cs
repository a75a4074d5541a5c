using BackupTools.Core.Errors;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>Turns what the user typed for -Repository (a path or file:// URI) into a store.</summary>
public static class RepositoryLocation
{
    public const string EnvironmentVariable = "BACKUPTOOLS_REPOSITORY";

    public static IBackupStore OpenStore(string? location)
    {
        if (string.IsNullOrWhiteSpace(location))
            location = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(location))
            throw new BackupInputException("RepositoryNotGiven", "Repository",
                "no repository was given.", $"Pass -Repository <path> or set {EnvironmentVariable}.");

        if (location.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
            return new LocalBackupStore(new Uri(location).LocalPath);
        if (location.Contains("://", StringComparison.Ordinal))
            throw new BackupInputException("RepositorySchemeUnsupported", "Repository",
                $"'{Redact(location)}' uses a scheme this version cannot open.", "Use a folder path or a file:// URI.");
        return new LocalBackupStore(location);
    }

    /// <summary>Drops any user-info part so a URI with credentials never reaches an error message.</summary>
    public static string Redact(string location)
    {
        var at = location.IndexOf('@');
        var scheme = location.IndexOf("://", StringComparison.Ordinal);
        return scheme >= 0 && at > scheme ? location[..(scheme + 3)] + "***" + location[at..] : location;
    }
}
