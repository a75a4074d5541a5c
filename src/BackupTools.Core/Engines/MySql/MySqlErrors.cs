using BackupTools.Core.Errors;
using MySqlConnector;

namespace BackupTools.Core.Engines.MySql;

internal static class MySqlErrors
{
    public static BackupToolsException Map(Exception e, MySqlTarget target, string? database) => e switch
    {
        MySqlException { ErrorCode: MySqlErrorCode.AccessDenied or MySqlErrorCode.DatabaseAccessDenied } => new BackupToolsException("MySqlAuthenticationFailed", FailureKind.AuthenticationFailure,
            $"{target.Host}:{target.Port} rejected the credentials of user '{target.User}'.", "Check -Credential or the connection string.", e),
        MySqlException { ErrorCode: MySqlErrorCode.UnknownDatabase } => new BackupToolsException("MySqlDatabaseNotFound", FailureKind.NotFound,
            $"Database '{database}' does not exist on {target.Host}:{target.Port}.", "Check -Database (SHOW DATABASES lists them).", e),
        MySqlException { ErrorCode: MySqlErrorCode.LockWaitTimeout } => new BackupToolsException("MySqlDatabaseInUse", FailureKind.ResourceBusy,
            $"Database '{database}' stayed locked by other sessions (a long transaction or LOCK TABLES); nothing was replaced.", "Let those sessions finish, then run again (Restore-MySql -Force ends the sessions using the database).", e),
        MySqlException { ErrorCode: MySqlErrorCode.UnableToConnectToHost } => new BackupToolsException("MySqlUnreachable", FailureKind.ResourceBusy,
            $"Cannot reach MySQL/MariaDB at {target.Host}:{target.Port}.", "Check -Server/-Port and that the server is running and listening on TCP.", e),
        _ => new BackupToolsException("MySqlError", FailureKind.ExternalToolFailure, $"MySQL/MariaDB at {target.Host}:{target.Port}: {e.Message}", null, e),
    };
}
