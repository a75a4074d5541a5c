using BackupTools.Core.Errors;
using BackupTools.Core.Storage;
using BackupTools.Core.Storage.S3;

namespace BackupTools.Core.Repository;

/// <summary>Turns what the user typed for -Repository (a path, file:// or s3:// URI) into a store.</summary>
public static class RepositoryLocation
{
    public const string EnvironmentVariable = "BACKUPTOOLS_REPOSITORY";

    public static IBackupStore OpenStore(string? location) => OpenStore(location, StorageCredentialScope.For(location));

    /// <summary>
    /// A path or file:// URI opens a folder (local disk or NAS mount); s3://bucket/prefix?… opens S3 or an
    /// S3-compatible service, wrapped in retries. The credential is used for S3 and never shows in Location.
    /// </summary>
    public static IBackupStore OpenStore(string? location, StorageCredential? credential)
    {
        if (string.IsNullOrWhiteSpace(location))
            location = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(location))
            throw new BackupInputException("RepositoryNotGiven", "Repository",
                "no repository was given.", $"Pass -Repository <path> or set {EnvironmentVariable}.");

        if (location.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
            return new LocalBackupStore(new Uri(location).LocalPath);
        if (location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
            return new RetryingBackupStore(new S3BackupStore(S3Location.Parse(location), credential), RetryPolicy.Default);
        if (location.Contains("://", StringComparison.Ordinal))
            throw new BackupInputException("RepositorySchemeUnsupported", "Repository",
                $"'{Redact(location)}' uses a scheme this version cannot open.", "Use a folder path, a file:// URI or s3://bucket/prefix.");
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
