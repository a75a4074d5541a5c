using System.Management.Automation;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.MySql;

/// <summary>A repository + key, one test database and the MariaDB server's address and credential as PowerShell variables.</summary>
[Collection("servers")]
public abstract class MySqlRestoreTestBase(MySqlTestDatabase db) : CellTestBase
{
    protected readonly MySqlTestDatabase Db = db;
    protected readonly List<string> ExtraDatabases = [];
    protected static MySqlServer Server => TestServers.MySql;
    protected const string Conn = "-Server $myServer -Port $myPort -Credential $cred";

    protected PsResult My(string script, params (string Name, object? Value)[] extra)
    {
        var credential = new PSCredential(Server.User, new System.Net.NetworkCredential("", Server.Password).SecurePassword);
        var all = new List<(string, object?)> { ("db", Db.Name), ("myServer", Server.Host), ("myPort", Server.Port), ("cred", credential) };
        all.AddRange(extra);
        return Run(script, all.ToArray());
    }

    protected BackupRecord Backup() => My($"Backup-MySql -Database $db {Conn} -Repository $repo -KeyFile $key").AssertNoErrors().Single<BackupRecord>();

    /// <summary>Staging (…__bt_restore_…) or old-table (…__bt_old_…) databases left behind for this database.</summary>
    protected static List<string> Leftovers(string database) =>
        MySqlTestDatabase.Column(null, $"select schema_name from information_schema.schemata where schema_name like '{database}\\_\\_bt\\_%'");

    public override void Dispose()
    {
        foreach (var database in ExtraDatabases) MySqlTestDatabase.Drop(database);
        Db.Dispose();
        base.Dispose();
    }
}
