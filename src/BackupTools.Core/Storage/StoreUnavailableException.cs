using BackupTools.Core.Errors;

namespace BackupTools.Core.Storage;

/// <summary>
/// The storage service could not be reached or answered with a transient error (network, 5xx, throttling).
/// Retried by <see cref="RetryingBackupStore"/>; surfaces only when retries are exhausted.
/// </summary>
public sealed class StoreUnavailableException(string location, string detail, Exception? inner = null)
    : BackupToolsException("StoreUnavailable", FailureKind.WriteError,
        $"Storage {location} is unavailable: {detail}",
        "Check that the storage endpoint is running and reachable, then run the command again; nothing incomplete is kept.", inner);
