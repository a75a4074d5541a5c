using BackupTools.Core.Alerts;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Plans;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Alerts;

/// <summary>
/// Send-BackupAlert and plans make channels through one registry (issue 15): every kind a plan accepts is made as
/// itself, and a kind the registry does not know is an error — before, a plan sent it as a generic webhook.
/// Sets BACKUPTOOLS_ALERT_LOG, as InvokeBackupPlanTests does, so it shares that class's collection.
/// </summary>
[Collection("servers")]
public sealed class AlertChannelRegistryTests : IDisposable
{
    private readonly TempDir _temp = new();

    public AlertChannelRegistryTests() => Environment.SetEnvironmentVariable("BACKUPTOOLS_ALERT_LOG", _temp.Sub("alerts.jsonl"));

    [Fact]
    public void Every_kind_is_made_as_itself()
    {
        var settings = new AlertChannelSettings
        {
            Name = "x", Url = new Uri("http://127.0.0.1:1/hook"), SigningSecret = "s",
            Smtp = new SmtpSettings { Server = "127.0.0.1", From = "a@example.com", To = ["b@example.com"] },
        };
        var kinds = AlertChannelRegistry.Names.Select(n => AlertChannelRegistry.Create(n, settings).Kind).ToList();

        Assert.Equal(["Webhook", "Slack", "WeCom", "DingTalk", "Smtp"], kinds);
    }

    [Fact]
    public void An_unknown_kind_is_a_clear_error()
    {
        var error = Assert.Throws<BackupInputException>(() =>
            AlertChannelRegistry.Create("teams", new AlertChannelSettings { Name = "x", Url = new Uri("http://127.0.0.1:1/") }));

        Assert.Equal("AlertChannelKindUnknown", error.ErrorId);
        Assert.Contains("'teams'", error.Message);
        Assert.Contains("webhook, slack, wecom, dingtalk, email", error.RecommendedAction);
    }

    [Fact]
    public void A_plan_channel_of_an_unknown_kind_fails_as_itself_and_posts_nothing()
    {
        using var sink = new WebhookSink();
        Environment.SetEnvironmentVariable("BT_REGISTRY_TEST_HOOK", sink.Url("/hook"));
        var path = _temp.Sub("plan.yml");
        File.WriteAllText(path, """
            version: 1
            repository: /backups/main
            alerts:
              - { type: webhook, name: oncall, url: { env: BT_REGISTRY_TEST_HOOK } }
            cells:
              - name: crm
                sources:
                  - { name: files, type: directory, path: /srv/crm }
            """);
        var plan = PlanLoader.LoadValid(path);
        // A kind added to the plan schema but not to the registry (or a plan model built in code) must not be guessed at.
        plan = plan with { Alerts = [plan.Alerts[0] with { Kind = "teams" }] };

        var results = PlanAlerts.Send(plan, [], ["metrics: MetricsWriteFailed: disk full"], NullObserver.Instance, CancellationToken.None);

        var channel = Assert.Single(results, r => r.Name == "oncall");
        Assert.False(channel.Sent);
        Assert.Contains("AlertChannelKindUnknown", channel.Error);
        Assert.Empty(sink.Requests);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("BACKUPTOOLS_ALERT_LOG", null);
        Environment.SetEnvironmentVariable("BT_REGISTRY_TEST_HOOK", null);
        _temp.Dispose();
    }
}
