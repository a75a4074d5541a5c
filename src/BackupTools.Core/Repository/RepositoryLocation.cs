using BackupTools.Core.Errors;

namespace BackupTools.Core.Repository;

/// <summary>What the user typed for -Repository (a path, file:// or s3:// URI): the default from the environment, redaction.</summary>
public static class RepositoryLocation
{
    public const string EnvironmentVariable = "BACKUPTOOLS_REPOSITORY";

    /// <summary>The given location, else BACKUPTOOLS_REPOSITORY, else a clear error.</summary>
    public static string Resolve(string? location)
    {
        if (string.IsNullOrWhiteSpace(location))
            location = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(location))
            throw new BackupInputException("RepositoryNotGiven", "Repository",
                "no repository was given.", $"Pass -Repository <path> or set {EnvironmentVariable}.");
        return location;
    }

    /// <summary>Drops any user-info part so a URI with credentials never reaches an error message.</summary>
    public static string Redact(string location)
    {
        var at = location.IndexOf('@');
        var scheme = location.IndexOf("://", StringComparison.Ordinal);
        return scheme >= 0 && at > scheme ? location[..(scheme + 3)] + "***" + location[at..] : location;
    }
}
