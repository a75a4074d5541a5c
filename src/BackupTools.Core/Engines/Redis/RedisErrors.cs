using System.Net.Sockets;
using BackupTools.Core.Errors;
using StackExchange.Redis;

namespace BackupTools.Core.Engines.Redis;

/// <summary>Client and protocol failures mapped to stable error ids. Messages name the server, never the password.</summary>
internal static class RedisErrors
{
    public static BackupToolsException Map(Exception e, RedisTarget target) => e switch
    {
        BackupToolsException known => known,
        RespErrorException { IsAuthentication: true } or RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure } => Authentication(target, e),
        RedisException when MentionsAuthentication(e) => Authentication(target, e),
        RespErrorException resp => new BackupToolsException("RedisCommandFailed", FailureKind.ExternalToolFailure, $"{target} answered: {resp.Reply}", null, e),
        RedisConnectionException or SocketException or TimeoutException or RedisTimeoutException => new BackupToolsException("RedisUnreachable", FailureKind.ResourceBusy,
            $"Cannot reach Redis at {target.Host}:{target.Port} ({FirstLine(e)}).", "Check -Server/-Port (and -Tls) and that the server is running.", e),
        System.Security.Authentication.AuthenticationException => new BackupToolsException("RedisTlsFailed", FailureKind.AuthenticationFailure,
            $"TLS handshake with {target.Host}:{target.Port} failed ({FirstLine(e)}).", "Check that the server speaks TLS on this port and its certificate is trusted (or pass -SkipCertificateCheck for a test server).", e),
        IOException or EndOfStreamException => new BackupToolsException("RedisConnectionLost", FailureKind.ResourceBusy,
            $"The connection to {target.Host}:{target.Port} broke ({FirstLine(e)}).", "Check the server log and run again.", e),
        RedisServerException => new BackupToolsException("RedisCommandFailed", FailureKind.ExternalToolFailure, $"{target} answered: {e.Message}", null, e),
        _ => new BackupToolsException("RedisError", FailureKind.ExternalToolFailure, $"Redis at {target.Host}:{target.Port}: {FirstLine(e)}", null, e),
    };

    /// <summary>StackExchange.Redis reports a refused AUTH as a connect failure whose message or inner error says so.</summary>
    private static bool MentionsAuthentication(Exception e)
    {
        for (var current = e; current != null; current = current.InnerException)
            if (IsAuthReply(current.Message) || current.Message.Contains("authentication failure", StringComparison.OrdinalIgnoreCase) || current.Message.Contains("WRONGPASS", StringComparison.Ordinal))
                return true;
        return false;
    }

    public static bool IsAuthReply(string message) => message.StartsWith("NOAUTH", StringComparison.Ordinal) || message.StartsWith("WRONGPASS", StringComparison.Ordinal)
        || message.Contains("invalid password", StringComparison.OrdinalIgnoreCase) || message.StartsWith("NOPERM", StringComparison.Ordinal);

    private static BackupToolsException Authentication(RedisTarget target, Exception e) => new("RedisAuthenticationFailed", FailureKind.AuthenticationFailure,
        $"{target.Host}:{target.Port} refused the credentials{(target.User is null ? "" : $" of user '{target.User}'")}" +
        (target.Password is null ? " (none were given, and the server requires them)." : "."),
        "Pass -Credential (user 'default' or empty for a requirepass password, or an ACL user that may run SYNC/REPLCONF, INFO and CONFIG).", e);

    private static string FirstLine(Exception e) => e.Message.Split('\n')[0].Trim();
}
