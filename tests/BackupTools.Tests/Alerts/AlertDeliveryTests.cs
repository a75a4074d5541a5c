using System.Text.Json.Nodes;
using BackupTools.Core.Alerts;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;
using static BackupTools.Tests.Alerts.ScriptedHttpServer;

namespace BackupTools.Tests.Alerts;

/// <summary>
/// What an operator needs from alert delivery at 3 a.m. (issue 23): every channel's outcome kept apart, transient
/// failures retried, secrets cut without eating words, errors passed on unchanged, one event per problem, and a
/// notification line that says what failed. Against a real HTTP server speaking HTTP/1.1 and HTTP/1.0.
/// </summary>
public sealed class AlertDeliveryTests : CellTestBase
{
    private const string TokenA = "TOKa-51c9e7d2";
    private const string TokenB = "TOKb-83f0a4b6";
    private string Log => Temp.Sub("state/alerts.jsonl");
    private string Missing => Temp.Sub("no-such-cell");

    private PsResult FailingBackupAlert(string alertArgs, params (string, object?)[] vars) =>
        Run($"Backup-Cell -Name crm -Path $missing -Repository $repo -KeyFile $key 2>&1 | Send-BackupAlert -OnFailure -AlertLog $log {alertArgs}",
            [("missing", Missing), ("log", Log), .. vars]);

    private JsonObject LoggedChannels() => JsonNode.Parse(Assert.Single(File.ReadAllLines(Log)))!["channels"]!.AsObject();

    private static void AssertNoTokens(PsResult result, params string[] tokens)
    {
        var texts = result.Errors.Select(e => e.Exception.Message + e.ErrorDetails?.Message + e.TargetObject)
            .Concat(result.Warnings).Concat(result.Objects<AlertResult>().Select(r => r.Name + r.Target + r.Error));
        foreach (var text in texts)
            foreach (var token in tokens)
                Assert.DoesNotContain(token, text);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("1.0")]
    public void Two_channels_of_one_kind_on_one_host_each_keep_their_outcome(string httpVersion)
    {
        InitRepoWithKey();
        using var server = new ScriptedHttpServer(httpVersion)
            .Script("/fail", Answer(500, "boom"))
            .Script("/services/T01/B02/SLKa-77e1c0d9", Answer(404, "no_service"));
        var result = FailingBackupAlert("-Webhook $fail, $ok -Slack $slackGone, $slackOk",
            ("fail", server.Url($"/fail?token={TokenA}")), ("ok", server.Url($"/ok?token={TokenB}")),
            ("slackGone", server.Url("/services/T01/B02/SLKa-77e1c0d9")), ("slackOk", server.Url("/services/T01/B03/SLKb-2f6a8e41")));

        var results = result.Objects<AlertResult>().ToDictionary(r => r.Name);
        Assert.Equal(["Log", "Slack#1", "Slack#2", "Webhook#1", "Webhook#2"], results.Keys.Order(StringComparer.Ordinal));
        Assert.False(results["Webhook#1"].Sent);
        Assert.True(results["Webhook#2"].Sent);
        Assert.False(results["Slack#1"].Sent);
        Assert.True(results["Slack#2"].Sent);
        // The error names which hook failed without showing its token.
        var failures = result.Errors.Where(e => e.FullyQualifiedErrorId.StartsWith("AlertChannelFailed")).Select(e => e.Exception.Message).ToList();
        Assert.Equal(2, failures.Count);
        Assert.Contains(failures, m => m.StartsWith("Alert channel Webhook#1 (") && m.Contains("HTTP 500"));
        Assert.Contains(failures, m => m.StartsWith("Alert channel Slack#1 (") && m.Contains("HTTP 404"));

        // The log keeps all four outcomes, not one per kind and host.
        var logged = LoggedChannels();
        Assert.Equal(["Slack#1", "Slack#2", "Webhook#1", "Webhook#2"], logged.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("failed", logged["Webhook#1"]!["outcome"]!.ToString());
        Assert.Contains("HTTP 500", logged["Webhook#1"]!["error"]!.ToString());
        Assert.Equal("delivered", logged["Webhook#2"]!["outcome"]!.ToString());
        Assert.Equal("failed", logged["Slack#1"]!["outcome"]!.ToString());
        Assert.Equal("delivered", logged["Slack#2"]!["outcome"]!.ToString());
        AssertNoTokens(result, TokenA, TokenB, "SLKa-77e1c0d9", "SLKb-2f6a8e41");
        Assert.DoesNotContain(TokenA, File.ReadAllText(Log));
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("1.0")]
    public void A_connection_dropped_once_is_retried_and_the_log_says_how_many_tries(string httpVersion)
    {
        InitRepoWithKey();
        using var server = new ScriptedHttpServer(httpVersion)
            .Script("/flaky", Dropped(), Answer(200))
            .Script("/denied", Answer(403, "bad token"));
        var result = FailingBackupAlert("-Webhook $flaky, $denied", ("flaky", server.Url($"/flaky?token={TokenA}")), ("denied", server.Url($"/denied?token={TokenB}")));

        var flaky = result.Objects<AlertResult>().Single(r => r.Name == "Webhook#1");
        Assert.True(flaky.Sent, flaky.ToString());
        Assert.Equal(2, flaky.Tries);
        Assert.Equal(2, server.To("/flaky").Count);
        Assert.Equal(server.To("/flaky")[0].Body, server.To("/flaky")[1].Body); // the same alert, sent again
        // A refusal (wrong token) does not change on retry: tried once.
        var denied = result.Objects<AlertResult>().Single(r => r.Name == "Webhook#2");
        Assert.False(denied.Sent);
        Assert.Equal(1, denied.Tries);
        Assert.Single(server.To("/denied"));

        var logged = LoggedChannels();
        Assert.Equal(2, logged["Webhook#1"]!["tries"]!.GetValue<int>());
        Assert.Equal("delivered", logged["Webhook#1"]!["outcome"]!.ToString());
        Assert.Equal(1, logged["Webhook#2"]!["tries"]!.GetValue<int>());
    }

    [Fact]
    public void Retries_stop_within_the_timeout()
    {
        InitRepoWithKey();
        using var server = new ScriptedHttpServer().Script("/down", Answer(503, "maintenance"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = FailingBackupAlert("-Webhook $down -TimeoutSec 2", ("down", server.Url("/down")));
        Assert.InRange(clock.Elapsed.TotalSeconds, 1, 6);
        var down = result.Objects<AlertResult>().Single(r => r.Name == "Webhook#1");
        Assert.False(down.Sent);
        Assert.InRange(down.Tries, 2, 3); // 0 s, 0.5 s, 1.5 s; the next (at 3.5 s) would pass the 2 s timeout
        Assert.Equal(down.Tries, server.To("/down").Count);
        var message = result.AssertError("AlertChannelFailed").Exception.Message;
        Assert.Contains($"after {down.Tries} tries: ", message);
        Assert.Contains("HTTP 503", message); // the last try's answer (or, on a starved machine, the one before a timeout)
    }

    [Fact]
    public void Redaction_cuts_tokens_but_keeps_the_words_of_the_error()
    {
        InitRepoWithKey();
        using var server = new ScriptedHttpServer().Script("/cgi-bin/webhook/send", Dropped()).Script("/robot/send", Dropped());
        var result = FailingBackupAlert("-WeCom $wecom -DingTalk $ding -TimeoutSec 1",
            ("wecom", server.Url($"/cgi-bin/webhook/send?key={TokenA}")), ("ding", server.Url($"/robot/send?access_token={TokenB}")));
        var errors = result.Errors.Where(e => e.FullyQualifiedErrorId.StartsWith("AlertChannelFailed")).Select(e => e.Exception.Message).ToList();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, m => Assert.Contains("while sending the request", m));
        Assert.All(errors, m => Assert.DoesNotContain("***ing", m));
        AssertNoTokens(result, TokenA, TokenB);

        var redactor = new SecretRedactor()
            .AddUri(new Uri("https://alerts:Pa55-w0rd-x@hooks.example.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx"))
            .AddUri(new Uri($"https://oapi.example.com/robot/send?access_token={TokenB}"));
        var text = redactor.Redact($"robot send failed for services T0123ABCD/B0456EFGH abcdefghijklmnopqrstuvwx Pa55-w0rd-x {TokenB} while sending");
        Assert.Equal("robot send failed for services ***/*** *** *** *** while sending", text);
    }

    [Fact]
    public void Piped_errors_are_written_again_unchanged()
    {
        InitRepoWithKey();
        using var server = new ScriptedHttpServer();
        var alone = Run("Backup-Cell -Name crm -Path $missing -Repository $repo -KeyFile $key", ("missing", Missing));
        var original = Assert.Single(alone.Errors);
        var result = FailingBackupAlert("-Webhook $ok", ("ok", server.Url("/ok")));

        var passedOn = Assert.Single(result.Errors);
        Assert.Equal(original.FullyQualifiedErrorId, passedOn.FullyQualifiedErrorId); // …,BackupCellCommand, not SendBackupAlertCommand
        Assert.Equal("Backup-Cell", passedOn.InvocationInfo.MyCommand.Name);
        Assert.Equal(original.Exception.Message, passedOn.Exception.Message);
        Assert.Equal(original.CategoryInfo.Category, passedOn.CategoryInfo.Category);
    }

    [Fact]
    public void An_unhealthy_status_piped_with_its_error_is_one_event_per_problem()
    {
        InitRepoWithKey();
        Backup();
        SampleTree.Create(Temp.Sub("cells/wiki"));
        Run("Backup-Cell -Name wiki -Path $wiki -Repository $repo -KeyFile $key", ("wiki", Temp.Sub("cells/wiki"))).AssertNoErrors();
        using var server = new ScriptedHttpServer();
        var result = Run("[System.Threading.Thread]::Sleep(1200); Get-BackupStatus -Repository $repo -MaxAge 1s 2>&1 | Send-BackupAlert -OnFailure -Webhook $ok -AlertLog $log",
            ("ok", server.Url("/ok")), ("log", Log));

        var body = Assert.Single(server.Requests).Json;
        Assert.Equal(2, body["failed"]!.GetValue<int>()); // two unhealthy series, not four events
        var events = body["events"]!.AsArray();
        Assert.Equal(["crm", "wiki"], events.Select(e => e!["cell"]!.ToString()).Order());
        Assert.All(events, e => Assert.Equal("status", e!["kind"]!.ToString()));
        Assert.Contains(events, e => e!["source"]!.ToString() == Cell); // the folder, not the status object's text
        // Both errors still fail the run, attributed to Get-BackupStatus.
        Assert.Equal(2, result.Errors.Count);
        Assert.All(result.Errors, e => Assert.Equal("BackupUnhealthy,BackupTools.PowerShell.Commands.GetBackupStatusCommand", e.FullyQualifiedErrorId));
    }

    [Fact]
    public void Chat_notifications_name_the_cell_and_the_first_failure()
    {
        InitRepoWithKey();
        using var server = new ScriptedHttpServer();
        FailingBackupAlert("-Slack $slack -WeCom $wecom -DingTalk $ding",
            ("slack", server.Url("/services/T01/B02/SLKc-90d1b3e5")), ("wecom", server.Url($"/cgi-bin/webhook/send?key={TokenA}")),
            ("ding", server.Url($"/robot/send?access_token={TokenB}")));

        var previews = new[]
        {
            server.To("/services/T01/B02/SLKc-90d1b3e5").Single().Json["text"]!.ToString(),
            server.To("/cgi-bin/webhook/send").Single().Json["markdown"]!["content"]!.ToString().Split('\n')[0],
            server.To("/robot/send").Single().Json["markdown"]!["title"]!.ToString(),
        };
        foreach (var preview in previews)
        {
            Assert.True(preview.Contains("1 failed (crm)"), preview);
            Assert.Contains($"Backup-Cell: -Path: '{Missing}' does not exist", preview);
            Assert.DoesNotContain("0 other", preview);
        }
    }

    [Fact]
    public void Plan_alert_channels_are_named_by_their_name_or_position()
    {
        var path = Temp.Sub("plan.yml");
        File.WriteAllText(path, """
            version: 1
            repository: /backups/main
            alerts:
              - { type: webhook, url: { env: HOOK_A } }
              - { type: slack, name: oncall, url: { env: HOOK_B } }
              - { type: webhook, url: { env: HOOK_C } }
            cells:
              - name: crm
                sources:
                  - { name: files, type: directory, path: /srv/crm }
            """);
        var plan = Core.Plans.PlanLoader.Load(path);
        Assert.True(plan.Valid, string.Join("\n", plan.Problems));
        Assert.Equal(["alerts#1", "oncall", "alerts#3"], plan.Plan!.Alerts.Select(a => a.Name));
    }

    [Fact]
    public void WhatIf_sends_and_logs_nothing()
    {
        InitRepoWithKey();
        using var server = new ScriptedHttpServer();
        var result = FailingBackupAlert("-Webhook $ok -WhatIf", ("ok", server.Url($"/ok?token={TokenA}")));
        Assert.Empty(server.Requests);
        Assert.False(File.Exists(Log));
        Assert.Empty(result.Objects<AlertResult>());
        Assert.Single(result.Errors); // the Backup-Cell error is still passed on
    }
}
