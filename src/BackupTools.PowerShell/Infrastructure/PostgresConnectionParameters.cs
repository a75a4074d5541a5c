using System.Management.Automation;
using BackupTools.Core.Engines.Postgres;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>-ConnectionString or -Server/-Port/-Credential (falling back to PG* variables and .pgpass), and -ToolPath.</summary>
public abstract class PostgresCmdlet : KeyedCmdlet
{
    [Parameter]
    public string? ConnectionString { get; set; }

    [Parameter]
    [Alias("Host")]
    public string? Server { get; set; }

    [Parameter]
    public int? Port { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Folder holding pg_dump/pg_restore (default: PATH, then /usr/lib/postgresql/*/bin).</summary>
    [Parameter]
    public string? ToolPath { get; set; }

    protected PostgresTarget BuildTarget() => PostgresTarget.From(ConnectionString, Server, Port,
        Credential?.UserName, Credential?.GetNetworkCredential().Password);
}
