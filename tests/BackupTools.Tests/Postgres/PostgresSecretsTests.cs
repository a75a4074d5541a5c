using System.Management.Automation;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Postgres;

/// <summary>Passwords never reach the audit log or the run log, whatever succeeds or fails.</summary>
public sealed class PostgresSecretsTests : PostgresTestBase
{
    [Fact]
    public void Audit_entries_and_the_run_log_of_backups_restores_and_failures_never_hold_the_password()
    {
        InitRepoWithKey(createCell: false);
        var log = Temp.Sub("run.log");
        Environment.SetEnvironmentVariable("BACKUPTOOLS_LOG_FILE", log);
        try
        {
            const string wrongPassword = "Wr0ng-Pa55-Never-Logged";
            var wrong = new PSCredential(Server.User, new System.Net.NetworkCredential("", wrongPassword).SecurePassword);
            var record = BackupDb();
            Pg($"Restore-Postgres -Id $id {Conn} -Repository $repo -KeyFile $key -TargetDatabase $copy -Confirm:$false",
                ("id", record.Id), ("copy", Db.Name + "_copy")).AssertNoErrors();
            Pg("Backup-Postgres -Database $db -Server $pgServer -Port $pgPort -Credential $bad -Repository $repo -KeyFile $key", ("bad", wrong))
                .AssertError("PostgresAuthenticationFailed");
            Pg("Backup-Postgres -Database $db -ConnectionString $cs -Repository $repo -KeyFile $key",
                ("cs", $"Host={Server.Host};Port={Server.Port};Username={Server.User};Password={wrongPassword};Database={Db.Name}")).AssertError("PostgresAuthenticationFailed");

            var entries = Run("Get-BackupAudit -Repository $repo").AssertNoErrors().Objects<AuditEntry>().ToList();
            Assert.Contains(entries, e => e is { Operation: "backup", Result: "Succeeded" } && e.Ids.Contains(record.Id));
            Assert.Contains(entries, e => e is { Operation: "restore", Result: "Succeeded" } && e.Ids[0] == record.Id);
            Assert.Equal(2, entries.Count(e => e is { Operation: "backup", Result: "Failed", ErrorId: "PostgresAuthenticationFailed" }));

            var everything = string.Join("\n", Directory.GetFiles(Repo, "*", SearchOption.AllDirectories)
                .Where(f => f.Contains("/audit/") || f.EndsWith(".json")).Select(File.ReadAllText)) + File.ReadAllText(log);
            Assert.Contains("Backup-Postgres ERROR PostgresAuthenticationFailed", File.ReadAllText(log));
            foreach (var secret in new[] { Server.Password, wrongPassword })
                Assert.DoesNotContain(secret, everything);
        }
        finally
        {
            Environment.SetEnvironmentVariable("BACKUPTOOLS_LOG_FILE", null);
            PgTestDatabase.Execute("postgres", $"drop database if exists \"{Db.Name}_copy\"");
        }
    }
}
