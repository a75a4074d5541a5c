using System.Text.Json.Nodes;
using BackupTools.Tests.Postgres;

namespace BackupTools.Tests.Alerts;

/// <summary>The documented nightly job against the real PostgreSQL server: one database fine, one missing.</summary>
public sealed class PostgresJobAlertTests : PostgresTestBase
{
    private readonly WebhookSink _sink = new();

    [Fact]
    public void The_alert_names_the_failed_step_and_database_next_to_what_went_well()
    {
        InitRepoWithKey(createCell: false);
        var missing = "no_such_db_" + Guid.NewGuid().ToString("N")[..8];
        var result = Pg($$"""
            & {
                Backup-Postgres -Database $db, $missing {{Conn}} -Repository $repo -KeyFile $key |
                    Test-BackupIntegrity -KeyFile $key
            } 2>&1 | Send-BackupAlert -Webhook $url -AlertLog $log
            """, ("missing", missing), ("url", _sink.Url("/nightly")), ("log", Temp.Sub("alerts.jsonl")));

        var original = result.AssertError("PostgresDatabaseNotFound"); // still an error of the run
        var events = _sink.Single().Body["events"]!.AsArray().Select(e => e!).ToList();
        var failure = Assert.Single(events, e => e["outcome"]!.ToString() == "Failed");
        Assert.Equal("Backup-Postgres", failure["step"]!.ToString());
        Assert.Equal("PostgresDatabaseNotFound", failure["errorId"]!.ToString());
        Assert.Contains(missing, failure["source"] + " " + failure["error"]);
        Assert.Equal(original.Exception.Message, failure["error"]!.ToString());
        // The good database: its verified backup (the records went into Test-BackupIntegrity, so its results arrive).
        var verified = Assert.Single(events, e => e["kind"]!.ToString() == "integrity");
        Assert.Equal("Succeeded", verified["outcome"]!.ToString());
        Assert.EndsWith("/" + Db.Name, verified["source"]!.ToString()); // postgres://user@host:port/db
        Assert.Contains("1 failed", _sink.Single().Body["title"]!.ToString());
    }

    public override void Dispose()
    {
        _sink.Dispose();
        base.Dispose();
    }
}
