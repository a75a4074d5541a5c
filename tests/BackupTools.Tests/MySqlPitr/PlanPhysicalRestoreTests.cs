using System.Globalization;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.MySqlPitr;

/// <summary>
/// Issue 18 item 4: a plan's physical MariaDB source (type: mysql-physical). Each Invoke-BackupPlan takes a physical
/// backup and ships the binlog (binlogSpool); Restore-Cell -At stops the server, restores the backup before -At plus the
/// binlog replay to -At in place of its data directory and starts it — exactly the rows committed before -At.
/// </summary>
[Collection("servers")]
public sealed class PlanPhysicalRestoreTests : ArchivingMariaDbTest
{
    public PlanPhysicalRestoreTests() : base("app")
    {
        File.WriteAllText(Temp.Sub("my.pass"), ArchivingMariaDb.Password);
        var pidFile = Path.Combine(Server.Folder, "mariadb.pid");
        File.WriteAllText(Temp.Sub("backup.yml"), $"""
            version: 1
            repository: {Temp.Sub("repo")}
            keys:
              - file: {Temp.Sub("main.key")}
            verify: {"{"} enabled: true {"}"}
            cells:
              - name: app
                sources:
                  - name: db
                    type: mysql-physical
                    server: 127.0.0.1
                    port: {Server.Port}
                    user: root
                    password: {"{"} file: {Temp.Sub("my.pass")} {"}"}
                    path: {Server.DataDir}
                    binlogSpool: {Temp.Sub("spool")}
                    stop: "kill $(cat {pidFile}); while [ -e {pidFile} ]; do sleep 0.2; done"
                    start: "{Server.StartCommandLine.Replace("\"", "\\\"", StringComparison.Ordinal)}"
            """);
    }

    private PsResult RunPlan(string script, params (string Name, object? Value)[] extra) => Run(script, [("plan", Temp.Sub("backup.yml")), .. extra]);

    private static IEnumerable<string> Ids(int from, int to) => Enumerable.Range(from, to - from + 1).Select(i => i.ToString(CultureInfo.InvariantCulture));

    [Fact]
    public void Each_run_backs_up_physically_and_ships_the_binlog_and_Restore_Cell_At_replays_to_that_second()
    {
        Commit(1, 10);
        var first = RunPlan("Invoke-BackupPlan $plan").AssertNoErrors().Objects<PlanSourceResult>().Single();
        Assert.True(first.Succeeded, first.Error);
        Assert.Equal("mysql-physical", first.Record!.Engine);
        Assert.True(first.Verified);
        Commit(11, 20);
        var between = Moments.NextWholeSecond();
        Commit(21, 30);
        RunPlan("Invoke-BackupPlan $plan").AssertNoErrors(); // a second physical backup (after -At) and the binlog up to row 30
        var records = RunPlan("Get-Backup -Repository $repo -Cell app").AssertNoErrors().Objects<BackupRecord>().ToList();
        Assert.Equal(2, records.Count(r => r.Engine == "mysql-physical"));
        Assert.Contains(records, r => r.Engine == "mysql-binlog");

        var planned = RunPlan("Restore-Cell app -Plan $plan -At $at -WhatIf", ("at", between)).AssertNoErrors().Single<CellRestoreReport>();
        var item = planned.Items.Single();
        Assert.Equal(first.Record.Id, item.BackupId); // the newest physical backup at or before -At, not the later one
        Assert.Equal($"binlog replay of cell app to {between:yyyy-MM-dd HH:mm:ss} UTC", item.Recovery);
        Assert.Equal(Ids(1, 30), Server.Column("select id from shop.ledger order by id")); // -WhatIf changed nothing

        var report = RunPlan("Restore-Cell app -Plan $plan -At $at -Confirm:$false", ("at", between)).AssertNoErrors().Single<CellRestoreReport>();
        Assert.True(report.Succeeded, string.Join("; ", report.Items.Select(i => $"{i.Source}: {i.Status} {i.Error}")));
        // The plan's start: brought the server back on its own port with exactly the rows committed before -At.
        Assert.Equal(Ids(1, 20), Server.Column("select id from shop.ledger order by id"));
        Assert.Single(Directory.GetDirectories(Server.Folder, "data.bt-previous-*")); // the replaced data directory, kept

        // Without -At: the newest backup plus the archive from its own position on (replaying rows it already holds would fail on their keys).
        Thread.Sleep(1100); // the next kept directory gets its own second-stamped name
        var latest = RunPlan("Restore-Cell app -Plan $plan -Confirm:$false").AssertNoErrors().Single<CellRestoreReport>();
        Assert.True(latest.Succeeded, string.Join("; ", latest.Items.Select(i => $"{i.Source}: {i.Status} {i.Error}")));
        Assert.Equal("binlog replay of cell app to the end of the archive", latest.Items.Single().Recovery);
        Assert.Equal(Ids(1, 30), Server.Column("select id from shop.ledger order by id"));
    }
}
