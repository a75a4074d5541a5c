using System.Management.Automation;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Postgres;

/// <summary>A repository + key (from CellTestBase) and the real PostgreSQL server's address and credential as PowerShell variables.</summary>
[Collection("servers")]
public abstract class PostgresTestBase : CellTestBase
{
    protected readonly PgTestDatabase Db = new();
    protected static PostgresServer Server => TestServers.Postgres;

    protected PsResult Pg(string script, params (string Name, object? Value)[] extra)
    {
        var credential = new PSCredential(Server.User, new System.Net.NetworkCredential("", Server.Password).SecurePassword);
        var all = new List<(string, object?)> { ("db", Db.Name), ("pgServer", Server.Host), ("pgPort", Server.Port), ("cred", credential) };
        all.AddRange(extra);
        return Run(script, all.ToArray());
    }

    protected const string Conn = "-Server $pgServer -Port $pgPort -Credential $cred";

    protected BackupRecord BackupDb() =>
        Pg($"Backup-Postgres -Database $db {Conn} -Repository $repo -KeyFile $key").AssertNoErrors().Single<BackupRecord>();

    public override void Dispose()
    {
        Db.Dispose();
        base.Dispose();
    }
}
