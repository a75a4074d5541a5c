namespace BackupTools.Core.Errors;

/// <summary>What kind of failure this is; the cmdlet layer maps it to a PowerShell ErrorCategory.</summary>
public enum FailureKind
{
    InvalidArgument,
    NotFound,
    IntegrityFailure,
    AuthenticationFailure,
    ResourceBusy,
    InvalidData,
    ExternalToolFailure,
    OperationStopped,
    WriteError,
}

/// <summary>
/// Base of every failure the core reports on purpose. ErrorId is stable (tests assert it);
/// the message says what failed, RecommendedAction what to do. Never put secrets in either.
/// </summary>
public class BackupToolsException : Exception
{
    public BackupToolsException(string errorId, FailureKind kind, string message, string? recommendedAction = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        RecommendedAction = recommendedAction;
    }

    public string ErrorId { get; }
    public FailureKind Kind { get; }
    public string? RecommendedAction { get; }
}

/// <summary>Stored bytes do not match what was written: tampering, truncation, corruption, wrong format.</summary>
public sealed class BackupIntegrityException : BackupToolsException
{
    public BackupIntegrityException(string errorId, string message, string? recommendedAction = null, Exception? inner = null)
        : base(errorId, FailureKind.IntegrityFailure, message, recommendedAction ?? "The backup object is damaged; restore from another backup or copy.", inner) { }
}

/// <summary>A key is missing, wrong or malformed.</summary>
public sealed class BackupKeyException : BackupToolsException
{
    public BackupKeyException(string errorId, string message, string? recommendedAction = null, Exception? inner = null)
        : base(errorId, FailureKind.AuthenticationFailure, message, recommendedAction, inner) { }
}

/// <summary>Bad input from the caller: names the parameter, what was wrong, what to do.</summary>
public sealed class BackupInputException : BackupToolsException
{
    public BackupInputException(string errorId, string parameter, string message, string? recommendedAction = null)
        : base(errorId, FailureKind.InvalidArgument, $"-{parameter}: {message}", recommendedAction)
    {
        Parameter = parameter;
    }

    public string Parameter { get; }
}
