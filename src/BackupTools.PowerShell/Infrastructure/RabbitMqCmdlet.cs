using System.Management.Automation;
using BackupTools.Core.Engines.RabbitMq;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>Connection parameters of the RabbitMQ cmdlets: the management API URL, the user, and optionally one vhost.</summary>
public abstract class RabbitMqCmdlet : RepositoryCmdlet
{
    /// <summary>http(s)://host:15672 (default http://localhost:15672).</summary>
    [Parameter]
    public string? ManagementUrl { get; set; }

    /// <summary>A management user (administrator tag, to export users and import definitions).</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public string? Vhost { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public override string? Repository { get; set; }


    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    protected RabbitMqTarget BuildTarget() =>
        RabbitMqTarget.From(ManagementUrl, Credential?.UserName, Credential?.GetNetworkCredential().Password, Vhost);
}
