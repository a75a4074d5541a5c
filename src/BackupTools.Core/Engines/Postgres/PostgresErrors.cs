using System.Net.Sockets;
using BackupTools.Core.Errors;
using Npgsql;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>Turns driver failures into errors that say what is wrong and what to do — never echoing the password.</summary>
internal static class PostgresErrors
{
    public static BackupToolsException Map(Exception e, PostgresTarget target, string database) => e switch
    {
        PostgresException { SqlState: "28P01" or "28000" } => new BackupToolsException("PostgresAuthenticationFailed", FailureKind.AuthenticationFailure,
            $"PostgreSQL at {target.Host}:{target.Port} rejected the credentials of user '{target.User}'.",
            "Check -Credential / the connection string / PGPASSWORD / .pgpass.", e),
        PostgresException { SqlState: "3D000" } => new BackupToolsException("PostgresDatabaseNotFound", FailureKind.NotFound,
            $"Database '{database}' does not exist on {target.Host}:{target.Port}.", "Check -Database (list them with psql -l).", e),
        PostgresException pg => new BackupToolsException("PostgresError", FailureKind.ExternalToolFailure,
            $"PostgreSQL at {target.Host}:{target.Port} reported {pg.SqlState}: {pg.MessageText}", null, e),
        NpgsqlException { InnerException: SocketException or TimeoutException } or SocketException or TimeoutException
            or NpgsqlException { InnerException: IOException } => new BackupToolsException("PostgresUnreachable", FailureKind.ResourceBusy,
            $"Cannot reach PostgreSQL at {target.Host}:{target.Port} ({(e.InnerException ?? e).Message}).",
            "Check -Server/-Port, that the server is running and that it accepts TCP connections from here.", e),
        _ => new BackupToolsException("PostgresError", FailureKind.ExternalToolFailure, $"PostgreSQL at {target.Host}:{target.Port}: {e.Message}", null, e),
    };
}
