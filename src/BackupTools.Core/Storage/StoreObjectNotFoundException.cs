using BackupTools.Core.Errors;

namespace BackupTools.Core.Storage;

public sealed class StoreObjectNotFoundException(string location, string key)
    : BackupToolsException("StoreObjectNotFound", FailureKind.NotFound,
        $"Object '{key}' is missing from repository {location}.",
        "The backup is incomplete or was deleted; use another backup or run Test-BackupIntegrity.");
