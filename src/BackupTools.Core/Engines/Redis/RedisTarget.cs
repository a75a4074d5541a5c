using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// Where and as whom to connect to Redis: password alone (requirepass) or an ACL user with its password,
/// optionally over TLS. The password lives only here and in the AUTH command on the wire.
/// </summary>
public sealed record RedisTarget(string Host, int Port, string? User, string? Password, bool Tls, bool SkipCertificateCheck)
{
    public const int DefaultPort = 6379;

    public static RedisTarget From(string? server, int? port, string? user, string? password, bool tls, bool skipCertificateCheck)
    {
        var portValue = port ?? DefaultPort;
        if (portValue is < 1 or > 65535) throw new BackupInputException("RedisPortInvalid", "Port", $"{portValue} is not a TCP port.", "Use 1-65535 (Redis's default is 6379).");
        if (string.IsNullOrWhiteSpace(server)) server = "localhost";
        // "default" is the user a bare password authenticates as; AUTH <password> keeps servers before 6.0 working.
        var userValue = string.IsNullOrEmpty(user) || user == "default" ? null : user;
        return new RedisTarget(server, portValue, userValue, string.IsNullOrEmpty(password) ? null : password, tls, skipCertificateCheck);
    }

    public string Describe() => $"{(Tls ? "rediss" : "redis")}://{(User is null ? "" : User + "@")}{Host}:{Port}";

    /// <summary>Default cell name: host and port, in the characters a cell name allows.</summary>
    public string DefaultCell() => "redis-" + new string(Host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray()) + "-" + Port;

    public bool IsLoopback => Host is "localhost" or "127.0.0.1" or "::1" || (System.Net.IPAddress.TryParse(Host, out var ip) && System.Net.IPAddress.IsLoopback(ip));

    /// <summary>Never the password: records print their members, and this one may end up in a log.</summary>
    public override string ToString() => Describe();
}
