using System.Management.Automation;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.MySqlPitr;

/// <summary>
/// The set-up the binlog test classes share: a private MariaDB with the binlog on and a table shop.ledger, a repository
/// with a key, and the PowerShell variables their scripts use ($repo, $key, $port, $spool, $cell, $cred).
/// </summary>
public abstract class ArchivingMariaDbTest : IDisposable
{
    protected const string Connection = "-Repository $repo -KeyFile $key -Server 127.0.0.1 -Port $port -Credential $cred";
    private readonly string _cell;

    protected ArchivingMariaDbTest(string cell, string ledgerColumns = "id int primary key")
    {
        _cell = cell;
        Server = new ArchivingMariaDb(Temp.Sub("server"));
        try
        {
            Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null; New-BackupKey -Path $key | Out-Null").AssertNoErrors();
            Server.Execute("create database shop");
            Server.Execute($"create table shop.ledger({ledgerColumns})");
        }
        catch
        {
            Dispose(); // the test class never gets an instance to dispose
            throw;
        }
    }

    protected TempDir Temp { get; } = new();
    protected PsSession Ps { get; } = new();
    protected ArchivingMariaDb Server { get; }

    protected PsResult Run(string script, params (string Name, object? Value)[] extra)
    {
        var vars = new Dictionary<string, object?>
        {
            ["repo"] = Temp.Sub("repo"), ["key"] = Temp.Sub("main.key"), ["port"] = Server.Port, ["spool"] = Temp.Sub("spool"), ["cell"] = _cell,
            ["cred"] = new PSCredential("root", new System.Net.NetworkCredential("", ArchivingMariaDb.Password).SecurePassword),
        };
        foreach (var (name, value) in extra) vars[name] = value;
        return Ps.Run(script, vars);
    }

    /// <summary>One push of the archive (Push-MySqlBinlog without -Watch) into the class's cell.</summary>
    protected PsResult Push() => Run($"Push-MySqlBinlog -Spool $spool -Cell $cell {Connection}");

    /// <summary>Rows from..to of shop.ledger, one transaction each.</summary>
    protected void Commit(int from, int to)
    {
        for (var i = from; i <= to; i++) Server.Execute($"insert into shop.ledger(id) values ({i})");
    }

    public void Dispose()
    {
        Server?.Dispose();
        Ps.Dispose();
        Temp.Dispose();
        GC.SuppressFinalize(this);
    }
}
