using System.Management.Automation;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.Postgres;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Connection parameters shared by the database cmdlets: -ConnectionString or -Server/-Port/-Credential
/// (each engine adds its usual fallbacks, e.g. PG* variables and .pgpass), and -ToolPath for the dump tools.
/// </summary>
public abstract class DatabaseCmdlet : RepositoryCmdlet
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

    /// <summary>Folder holding the engine's dump/restore tools (default: PATH, and for PostgreSQL /usr/lib/postgresql/*/bin).</summary>
    [Parameter]
    public string? ToolPath { get; set; }

    protected string? ResolvedToolPath => ToolPath is null ? null : ResolvePath(ToolPath);

    protected PostgresTarget BuildPostgresTarget() => PostgresTarget.From(ConnectionString, Server, Port, Credential?.UserName, Credential?.GetNetworkCredential().Password);

    protected MySqlTarget BuildMySqlTarget() => MySqlTarget.From(ConnectionString, Server, Port, Credential?.UserName, Credential?.GetNetworkCredential().Password);
}
