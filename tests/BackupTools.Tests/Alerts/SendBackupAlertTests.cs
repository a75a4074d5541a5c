using System.Net;
using System.Security;
using System.Text;
using System.Text.Json.Nodes;
using System.Management.Automation;
using BackupTools.Core.Alerts;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Alerts;

/// <summary>Send-BackupAlert end to end: real pipelines, a real HTTP listener and an SMTP server on loopback.</summary>
public sealed class SendBackupAlertTests : CellTestBase
{
    // Tokens that must never show up in errors, warnings, results or the alert log.
    private const string GenericToken = "GENtok-7f3a9c";
    private const string SlackToken = "SLKtok-XyZ123abc";
    private const string WeComKey = "WCMkey-5e1d2f";
    private const string DingToken = "DNGtok-44aa9b";
    private const string DingSecret = "SECding-77c1e0f";

    private readonly WebhookSink _sink = new();
    private string Log => Temp.Sub("state/alerts.jsonl");
    private string Missing => Temp.Sub("no-such-cell");

    private static SecureString Secure(string text)
    {
        var s = new SecureString();
        foreach (var c in text) s.AppendChar(c);
        return s;
    }

    /// <summary>A Backup-Cell that fails (its folder does not exist), with errors merged into the alert pipeline.</summary>
    private PsResult FailingBackupAlert(string alertArgs, params (string, object?)[] vars) =>
        Run($"Backup-Cell -Name crm -Path $missing -Repository $repo -KeyFile $key 2>&1 | Send-BackupAlert -OnFailure -AlertLog $log {alertArgs}",
            [("missing", Missing), ("log", Log), .. vars]);

    private void AssertNoSecretsIn(PsResult result)
    {
        var texts = result.Errors.Select(e => e.Exception.Message + e.ErrorDetails?.Message + e.TargetObject)
            .Concat(result.Warnings).Concat(result.Objects<AlertResult>().Select(r => r.Target + r.Error))
            .Append(File.Exists(Log) ? File.ReadAllText(Log) : "");
        foreach (var text in texts)
            foreach (var secret in new[] { GenericToken, SlackToken, WeComKey, DingToken, DingSecret, "s3cret-Pa55", "WrongPass-987" })
                Assert.DoesNotContain(secret, text);
    }

    [Fact]
    public void Upstream_failure_reaches_every_webhook_shape_with_step_source_and_error()
    {
        InitRepoWithKey();
        var result = FailingBackupAlert("-Webhook $generic -Slack $slack -WeCom $wecom -DingTalk $ding -DingTalkSecret $dingSecret",
            ("generic", _sink.Url($"/hook?token={GenericToken}")), ("slack", _sink.Url($"/services/T01/B02/{SlackToken}")),
            ("wecom", _sink.Url($"/cgi-bin/webhook/send?key={WeComKey}")), ("ding", _sink.Url($"/robot/send?access_token={DingToken}")),
            ("dingSecret", Secure(DingSecret)));

        // The original failure is written again: alerting does not turn a failed run into a green one.
        var original = Assert.Single(result.Errors);
        var originalId = original.FullyQualifiedErrorId.Split(',')[0];
        Assert.NotEqual("AlertChannelFailed", originalId);
        var results = result.Objects<AlertResult>().ToList();
        Assert.Equal(["DingTalk", "Log", "Slack", "WeCom", "Webhook"], results.Select(r => r.Channel).Order(StringComparer.Ordinal));
        Assert.All(results, r => Assert.True(r.Sent, r.ToString()));
        Assert.All(results, r => Assert.Equal(1, r.Failures));

        var requests = _sink.Requests.ToDictionary(r => r.PathAndQuery.Split('?')[0]);
        Assert.Equal(4, requests.Count);
        Assert.All(requests.Values, r => Assert.StartsWith("application/json", r.ContentType));

        var generic = requests["/hook"].Body;
        var e = generic["events"]!.AsArray().Single()!;
        Assert.Equal("Failed", e["outcome"]!.ToString());
        Assert.Equal("Backup-Cell", e["step"]!.ToString());
        Assert.Equal(originalId, e["errorId"]!.ToString());
        Assert.Contains(Missing, e["error"]!.ToString() + e["source"]);
        Assert.Equal(1, generic["failed"]!.GetValue<int>());

        var slack = requests[$"/services/T01/B02/{SlackToken}"].Body;
        Assert.Contains("1 failed", slack["text"]!.ToString());
        Assert.Equal("header", slack["blocks"]![0]!["type"]!.ToString());
        Assert.Contains("step: Backup-Cell", slack["blocks"]![1]!["text"]!["text"]!.ToString());

        var wecom = requests["/cgi-bin/webhook/send"].Body;
        Assert.Equal("markdown", wecom["msgtype"]!.ToString());
        Assert.Contains(originalId, wecom["markdown"]!["content"]!.ToString());

        var ding = requests["/robot/send"];
        Assert.Equal("markdown", ding.Body["msgtype"]!.ToString());
        Assert.Contains("failed", ding.Body["markdown"]!["title"]!.ToString());
        Assert.Contains("step: Backup-Cell", ding.Body["markdown"]!["text"]!.ToString());
        var query = System.Web.HttpUtility.ParseQueryString(ding.PathAndQuery.Split('?')[1]);
        Assert.Equal(DingToken, query["access_token"]);
        Assert.Equal(DingTalkChannel.Sign(query["timestamp"]!, DingSecret), query["sign"]);
        Assert.InRange(long.Parse(query["timestamp"]!), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        // The local log: one JSON line per event, private to the user, with what each channel did.
        var line = JsonNode.Parse(Assert.Single(File.ReadAllLines(Log)))!;
        Assert.Equal("Backup-Cell", line["step"]!.ToString());
        Assert.Equal(5 - 1, line["channels"]!.AsObject().Count);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Log));
        AssertNoSecretsIn(result);
    }

    [Fact]
    public void A_failing_channel_is_reported_and_never_hides_the_failure_or_stops_the_others()
    {
        InitRepoWithKey();
        using var broken = new WebhookSink(500, "internal error");
        var unreachable = $"http://127.0.0.1:{WebhookSink.FreePort()}/hook?token={GenericToken}";
        var result = FailingBackupAlert("-Webhook $broken, $unreachable, $good -Slack $slackBroken",
            ("broken", broken.Url($"/hook?token={GenericToken}")), ("unreachable", unreachable), ("good", _sink.Url("/ok")),
            ("slackBroken", broken.Url($"/services/T01/B02/{SlackToken}")));

        Assert.Equal(2 * AlertRetry.Default.MaxTries, broken.Requests.Count); // HTTP 500 is transient: each channel tried 4 times
        Assert.Equal("/ok", _sink.Single().PathAndQuery);
        var failures = result.Errors.Where(e => e.FullyQualifiedErrorId.StartsWith("AlertChannelFailed")).ToList();
        Assert.Equal(3, failures.Count);
        Assert.Contains(failures, f => f.Exception.Message.Contains("HTTP 500"));
        Assert.Single(result.Errors, e => !e.FullyQualifiedErrorId.StartsWith("AlertChannelFailed")); // the Backup-Cell error itself
        var results = result.Objects<AlertResult>().ToList();
        Assert.Equal(2, results.Count(r => r.Sent)); // the good webhook and the log
        Assert.All(results.Where(r => !r.Sent), r => Assert.False(string.IsNullOrEmpty(r.Error)));
        Assert.All(results.Where(r => r.Channel != "Log"), r => Assert.Equal("http://127.0.0.1:" + r.Target.Split(':')[2], r.Target)); // scheme://host:port/… only
        Assert.Single(File.ReadAllLines(Log));
        AssertNoSecretsIn(result);
    }

    [Fact]
    public void A_channel_that_never_answers_times_out_without_holding_the_others()
    {
        InitRepoWithKey();
        // A TCP listener that accepts and never says a word: neither the HTTP answer nor the SMTP greeting comes.
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start(10);
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = FailingBackupAlert("-Webhook $mute, $good -SmtpServer 127.0.0.1 -SmtpPort $port -From b@example.com -To ops@example.com -TimeoutSec 2",
            ("mute", $"http://127.0.0.1:{port}/hook?token={GenericToken}"), ("good", _sink.Url("/good")), ("port", port));
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 15);
        Assert.Single(_sink.Requests);
        var failed = result.Objects<AlertResult>().Where(r => !r.Sent).ToList();
        Assert.Equal(["Smtp", "Webhook"], failed.Select(r => r.Channel).Order(StringComparer.Ordinal));
        Assert.All(failed, r => Assert.Equal("no answer within 2 s", r.Error));
        Assert.Equal(2, result.Errors.Count(e => e.FullyQualifiedErrorId.StartsWith("AlertChannelFailed")));
        AssertNoSecretsIn(result);
    }

    [Fact]
    public void An_unwritable_alert_log_is_reported_and_the_channels_still_go()
    {
        InitRepoWithKey();
        File.WriteAllText(Temp.Sub("a-file"), "");
        var result = Run("Backup-Cell -Name crm -Path $missing -Repository $repo -KeyFile $key 2>&1 | Send-BackupAlert -Webhook $url -AlertLog $log",
            ("missing", Missing), ("url", _sink.Url("/w")), ("log", Temp.Sub("a-file/alerts.jsonl")));
        Assert.Single(_sink.Requests);
        var log = result.Objects<AlertResult>().Single(r => r.Channel == "Log");
        Assert.False(log.Sent);
        Assert.Contains("Log", result.AssertError("AlertChannelFailed").Exception.Message);
        Assert.Equal(2, result.Errors.Count); // the Backup-Cell error and the log's
    }

    [Fact]
    public void Integrity_failure_arrives_once_naming_the_failed_check()
    {
        InitRepoWithKey();
        var record = Backup();
        var data = Path.Combine(Repo, "backups", record.Id, "data");
        using (var f = new FileStream(data, FileMode.Open)) { f.Position = f.Length / 2; var b = f.ReadByte(); f.Position = f.Length / 2; f.WriteByte((byte)(b ^ 1)); }

        // The documented job shape: a script block around the whole job, its errors merged into the alert.
        var result = Run("& { Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $key } 2>&1 | Send-BackupAlert -OnFailure -Webhook $url -AlertLog $log",
            ("url", _sink.Url("/hook")), ("log", Log));

        result.AssertError("BackupIntegrityCheckFailed");
        var e = _sink.Single().Body["events"]!.AsArray().Single()!; // the result and its error are one event
        Assert.Equal("integrity", e["kind"]!.ToString());
        Assert.Equal(record.Id, e["backupId"]!.ToString());
        Assert.Contains("data:decrypt+decompress", e["error"]!.ToString());
    }

    [Fact]
    public void Errors_collected_with_ErrorVariable_or_caught_are_alerted_once_and_written_again()
    {
        InitRepoWithKey();
        var collected = Run("Backup-Cell -Name crm -Path $missing -Repository $repo -KeyFile $key -ErrorAction SilentlyContinue -ErrorVariable failed | Out-Null; $failed | Send-BackupAlert -OnFailure -Webhook $url -AlertLog $log",
            ("missing", Missing), ("url", _sink.Url("/ev")), ("log", Log));
        Assert.Single(collected.Errors); // silenced at first, written once by Send-BackupAlert
        Assert.Equal("Backup-Cell", _sink.Single().Body["events"]![0]!["step"]!.ToString());
        // The same collection given as -InputObject (positional) instead of piped.
        Run("Backup-Cell -Name crm -Path $missing -Repository $repo -KeyFile $key -ErrorAction SilentlyContinue -ErrorVariable failed | Out-Null; Send-BackupAlert $failed -Webhook $url -AlertLog $log",
            ("missing", Missing), ("url", _sink.Url("/param")), ("log", Log)).AssertError(collected.Errors[0].FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal("Backup-Cell", _sink.Requests.Single(r => r.PathAndQuery == "/param").Body["events"]!.AsArray().Single()!["step"]!.ToString());

        var caught = Run("try { Backup-Cell -Name crm -Path $missing -Repository $repo -KeyFile $key -ErrorAction Stop } catch { $_ | Send-BackupAlert -Webhook $url -AlertLog $log }",
            ("missing", Missing), ("url", _sink.Url("/catch")), ("log", Log));
        Assert.Single(caught.Errors);
        var e = _sink.Requests.Single(r => r.PathAndQuery == "/catch").Body["events"]![0]!;
        Assert.Equal("Backup-Cell", e["step"]!.ToString());
        Assert.Equal(collected.Errors[0].FullyQualifiedErrorId.Split(',')[0], e["errorId"]!.ToString());
    }

    [Fact]
    public void Successes_are_sent_without_OnFailure_dropped_with_it_and_PassThru_passes_input_on()
    {
        InitRepoWithKey();
        var record = Backup();
        var quiet = Run("$r | Send-BackupAlert -OnFailure -Webhook $url -AlertLog $log", ("r", record), ("url", _sink.Url("/a")), ("log", Log)).AssertNoErrors();
        Assert.Empty(quiet.Output);
        Assert.Empty(_sink.Requests);
        Assert.False(File.Exists(Log));

        var passed = Run("$r | Send-BackupAlert -Webhook $url -AlertLog $log -PassThru", ("r", record), ("url", _sink.Url("/b")), ("log", Log)).AssertNoErrors();
        Assert.Equal(record.Id, passed.Single<BackupRecord>().Id);
        var body = _sink.Single().Body;
        Assert.Equal(0, body["failed"]!.GetValue<int>());
        Assert.Equal("Succeeded", body["events"]![0]!["outcome"]!.ToString());
        Assert.Contains(record.Id, body["text"]!.ToString());
    }

    [Fact]
    public void A_restore_result_is_alerted_like_a_backup_naming_what_was_restored_where()
    {
        InitRepoWithKey();
        var record = Backup();
        var result = Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false | Send-BackupAlert -Webhook $url -AlertLog $log -PassThru",
            ("id", record.Id), ("dest", Temp.Sub("restored")), ("url", _sink.Url("/r")), ("log", Log)).AssertNoErrors();
        Assert.Empty(result.Warnings);
        var restored = result.Single<RestoreResult>();
        var e = _sink.Single().Body["events"]!.AsArray().Single()!;
        Assert.Equal("restore", e["kind"]!.ToString());
        Assert.Equal("Succeeded", e["outcome"]!.ToString());
        Assert.Equal(record.Id, e["backupId"]!.ToString());
        Assert.Contains(restored.Destination, e["summary"]!.ToString());
    }

    [Fact]
    public void Status_objects_are_read_by_property_names()
    {
        var result = Ps.Run("""
            $down = [pscustomobject]@{ Cell = 'crm'; Engine = 'postgres'; Source = 'crm_db'; Healthy = $false; Warnings = @('no successful backup for 26h', 'last verification failed'); LastSuccess = [DateTimeOffset]::UtcNow.AddHours(-26) }
            $fine = [pscustomobject]@{ Cell = 'wiki'; Engine = 'directory'; Source = '/data/wiki'; Healthy = $true; Warnings = @(); LastSuccess = [DateTimeOffset]::UtcNow }
            $down, $fine, 'some text' | Send-BackupAlert -OnFailure -Webhook $url -AlertLog $log
            """, new Dictionary<string, object?> { ["url"] = _sink.Url("/s"), ["log"] = Log }).AssertNoErrors();
        Assert.Contains(result.Warnings, w => w.Contains("ignored an input of type System.String"));
        var e = _sink.Single().Body["events"]!.AsArray().Single()!;
        Assert.Equal("status", e["kind"]!.ToString());
        Assert.Equal("crm", e["cell"]!.ToString());
        Assert.Equal("BackupStatusUnhealthy", e["errorId"]!.ToString());
        Assert.Contains("no successful backup for 26h; last verification failed", e["error"]!.ToString());
        Assert.Equal(2, result.Objects<AlertResult>().Count());
    }

    [Fact]
    public void Mail_goes_over_starttls_with_login_and_names_the_failure()
    {
        InitRepoWithKey();
        using var smtp = new SmtpSink();
        var result = FailingBackupAlert("-SmtpServer 127.0.0.1 -SmtpPort $port -From backup@example.com -To ops@example.com, dba@example.com -Credential $cred -UseStartTls -SkipCertificateCheck",
            ("port", smtp.Port), ("cred", new PSCredential("alerts", Secure("s3cret-Pa55"))));

        Assert.True(result.Objects<AlertResult>().Single(r => r.Channel == "Smtp").Sent);
        var mail = Assert.Single(smtp.Mails);
        Assert.True(mail.OverTls);
        Assert.True(mail.Authenticated);
        Assert.False(smtp.AuthOverPlainText);
        Assert.Equal("backup@example.com", mail.From);
        Assert.Equal(["ops@example.com", "dba@example.com"], mail.To);
        var (headers, body) = (mail.Data.Split("\r\n\r\n", 2)[0], mail.Data.Split("\r\n\r\n", 2)[1]);
        // Unfold the header, then decode its RFC 2047 words (each at most 75 characters).
        var subjectLine = headers.Replace("\r\n ", " ").Split("\r\n").Single(h => h.StartsWith("Subject: "));
        var words = System.Text.RegularExpressions.Regex.Matches(subjectLine, @"=\?utf-8\?B\?([^?]+)\?=").Select(m => m.Value).ToList();
        Assert.All(words, w => Assert.True(w.Length <= 75, w));
        Assert.Contains("1 failed", string.Concat(words.Select(w => Encoding.UTF8.GetString(Convert.FromBase64String(w[10..^2])))));
        Assert.Matches(@"^Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$", headers.Split("\r\n").Single(h => h.StartsWith("Date: ")));
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(body.Replace("\r\n", "")));
        Assert.Contains("step: Backup-Cell", text);
        Assert.Contains(Missing, text);
        AssertNoSecretsIn(result);
    }

    [Fact]
    public void Mail_channel_failures_are_isolated_and_keep_the_password_out_of_errors()
    {
        InitRepoWithKey();
        using var smtp = new SmtpSink();
        // Untrusted certificate, then a wrong password: each fails only the mail channel.
        var untrusted = FailingBackupAlert("-SmtpServer 127.0.0.1 -SmtpPort $port -From b@example.com -To ops@example.com -Credential $cred -UseStartTls -Webhook $url",
            ("port", smtp.Port), ("cred", new PSCredential("alerts", Secure("s3cret-Pa55"))), ("url", _sink.Url("/w1")));
        untrusted.AssertError("AlertChannelFailed");
        Assert.Empty(smtp.Mails);
        Assert.Single(_sink.Requests);

        var wrong = FailingBackupAlert("-SmtpServer 127.0.0.1 -SmtpPort $port -From b@example.com -To ops@example.com -Credential $cred -UseStartTls -SkipCertificateCheck",
            ("port", smtp.Port), ("cred", new PSCredential("alerts", Secure("WrongPass-987"))));
        var error = wrong.AssertError("AlertChannelFailed");
        Assert.Contains("AUTH", error.Exception.Message);
        Assert.Contains("535", error.Exception.Message);
        Assert.Empty(smtp.Mails);
        AssertNoSecretsIn(wrong);

        // A password is never sent in clear text: refused before connecting, other channels still go.
        var clear = FailingBackupAlert("-SmtpServer 127.0.0.1 -SmtpPort $port -From b@example.com -To ops@example.com -Credential $cred -Webhook $url",
            ("port", smtp.Port), ("cred", new PSCredential("alerts", Secure("s3cret-Pa55"))), ("url", _sink.Url("/w2")));
        Assert.Contains("-Credential", clear.AssertError("AlertSmtpCleartextPassword").Exception.Message);
        Assert.False(smtp.AuthOverPlainText);
        Assert.Equal(2, _sink.Requests.Count);
        Assert.Equal(3, File.ReadAllLines(Log).Length);
    }

    [Fact]
    public void Starttls_required_but_not_offered_sends_nothing_over_plain_text()
    {
        InitRepoWithKey();
        using var smtp = new SmtpSink(offerStartTls: false);
        var result = FailingBackupAlert("-SmtpServer 127.0.0.1 -SmtpPort $port -From b@example.com -To ops@example.com -Credential $cred -UseStartTls",
            ("port", smtp.Port), ("cred", new PSCredential("alerts", Secure("s3cret-Pa55"))));
        Assert.Contains("STARTTLS", result.AssertError("AlertChannelFailed").Exception.Message);
        Assert.False(smtp.AuthOverPlainText);
        Assert.Empty(smtp.Mails);
    }

    [Fact]
    public void A_malformed_webhook_is_an_error_naming_the_parameter_and_the_rest_still_go()
    {
        InitRepoWithKey();
        var result = FailingBackupAlert("-Slack $bad -Webhook $good", ("bad", $"hooks.slack.com/services/{SlackToken}"), ("good", _sink.Url("/g")));
        Assert.StartsWith("-Slack:", result.AssertError("AlertWebhookInvalid").Exception.Message);
        Assert.Single(_sink.Requests);
        AssertNoSecretsIn(result);
    }

    [Fact]
    public void DingTalk_signature_matches_the_documented_algorithm()
    {
        // Reference value from Python: base64(hmac.new(secret, f"{ts}\n{secret}", sha256).digest())
        Assert.Equal("OdCH901FOf73VhFoU/E7B7DzgzJbshAF1ZFsnN4AYZg=", DingTalkChannel.Sign("1700000000000", "SECtest-secret-123"));
    }

    [Fact]
    public void Redactor_cuts_tokens_out_of_text()
    {
        var redactor = new SecretRedactor().AddUri(new Uri($"https://oapi.example.com/robot/send?access_token={DingToken}"));
        var text = redactor.Redact($"POST https://oapi.example.com/robot/send?access_token={DingToken} failed; token {DingToken}");
        Assert.DoesNotContain(DingToken, text);
        Assert.Equal("https://oapi.example.com/…", SecretRedactor.DisplayUri(new Uri($"https://oapi.example.com/robot/send?access_token={DingToken}")));
    }

    public override void Dispose()
    {
        _sink.Dispose();
        base.Dispose();
    }
}
