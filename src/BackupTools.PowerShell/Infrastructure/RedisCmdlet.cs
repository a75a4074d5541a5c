using System.Management.Automation;
using BackupTools.Core.Engines.Redis;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>Connection parameters of the Redis cmdlets: -Server/-Port, -Credential (password alone, or an ACL user), -Tls.</summary>
public abstract class RedisCmdlet : RepositoryCmdlet
{
    [Parameter]
    [Alias("Host")]
    public string? Server { get; set; }

    [Parameter]
    public int? Port { get; set; }

    /// <summary>User "default" (or empty) authenticates with the requirepass password; any other name is an ACL user.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public SwitchParameter Tls { get; set; }

    /// <summary>With -Tls: accept any server certificate (test servers with self-signed certificates only).</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    protected RedisTarget BuildRedisTarget() =>
        RedisTarget.From(Server, Port, Credential?.UserName, Credential?.GetNetworkCredential().Password, Tls, SkipCertificateCheck);
}
