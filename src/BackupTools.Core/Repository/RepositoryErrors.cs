using BackupTools.Core.Errors;

namespace BackupTools.Core.Repository;

internal static class RepositoryErrors
{
    public static BackupToolsException NotFound(string location) => new(
        "RepositoryNotFound", FailureKind.NotFound,
        $"No BackupTools repository at {location} (repository.json is missing).",
        "Create one with Initialize-BackupRepository -Path <path>, or check the -Repository value.");

    public static BackupToolsException BackupNotFound(string location, string id) => new(
        "BackupNotFound", FailureKind.NotFound,
        $"Backup '{id}' was not found in {location} (no manifest).",
        "List what exists with Get-Backup -Repository <repository>.");

    public static BackupToolsException Unsupported(string location, int version) => new(
        "RepositoryFormatUnsupported", FailureKind.InvalidData,
        $"Repository {location} has format version {version}; this BackupTools understands up to {RepositoryConfig.CurrentFormatVersion}.",
        "Upgrade BackupTools to read this repository.");
}
