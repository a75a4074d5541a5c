using System.Management.Automation;
using System.Net;
using System.Security;
using BackupTools.Core.Alerts;
using BackupTools.Core.Errors;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Collects backup records, integrity results, status objects and errors from the pipeline and, at the end,
/// sends them as one message per channel and appends them to the local alert log. Errors it receives are
/// written again unchanged, so an alerted failure still fails the run; a channel failure is an error of its own
/// (AlertChannelFailed) and never stops the other channels or the log. Channels are named Webhook#1, Webhook#2, Slack#1…
/// in the order given, so results, errors and the log tell two hooks on one host apart without showing their tokens.
/// -WhatIf shows the headline each channel would get and sends nothing.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "BackupAlert", SupportsShouldProcess = true)]
[OutputType(typeof(AlertResult))]
public sealed class SendBackupAlertCommand : BackupToolsCmdlet
{
    private readonly List<AlertEvent> _events = new();
    private readonly List<IAlertChannel> _channels = new();

    [Parameter(ValueFromPipeline = true, Position = 0)]
    [AllowNull]
    public PSObject? InputObject { get; set; }

    [Parameter] public string[] Webhook { get; set; } = [];
    [Parameter] public string[] Slack { get; set; } = [];
    [Parameter] public string[] WeCom { get; set; } = [];
    [Parameter] public string[] DingTalk { get; set; } = [];
    [Parameter] public SecureString? DingTalkSecret { get; set; }

    [Parameter] public string? SmtpServer { get; set; }
    [Parameter] [ValidateRange(1, 65535)] public int SmtpPort { get; set; } = 587;
    [Parameter] public string? From { get; set; }
    [Parameter] public string[] To { get; set; } = [];
    [Parameter] [Credential] public PSCredential? Credential { get; set; }
    [Parameter] public SwitchParameter UseStartTls { get; set; }
    [Parameter] public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>JSON-lines file every alert is appended to; default BACKUPTOOLS_ALERT_LOG or ~/.local/state/backuptools/alerts.jsonl.</summary>
    [Parameter] public string? AlertLog { get; set; }

    /// <summary>Send only failures (failed backups/checks, unhealthy status, errors); successes are dropped.</summary>
    [Parameter] public SwitchParameter OnFailure { get; set; }

    /// <summary>Seconds each channel may take (connect, send, answer); default 30.</summary>
    [Parameter] [ValidateRange(1, 3600)] public int TimeoutSec { get; set; } = 30;

    /// <summary>Emit the input objects instead of one AlertResult per channel.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        // A misconfigured channel is reported but does not stop the others: the alert matters more.
        // Channels are made by the registry plans use too; each parameter names its kind there.
        AddChannels(Webhook, "Webhook", "webhook");
        AddChannels(Slack, "Slack", "slack");
        AddChannels(WeCom, "WeCom", "wecom");
        AddChannels(DingTalk, "DingTalk", "dingtalk", DingTalkSecret is null ? null : new NetworkCredential("", DingTalkSecret).Password);
        if (SmtpServer != null || To.Length > 0)
            TryAdd(() => AlertChannelRegistry.Create("email", new AlertChannelSettings { Name = "Smtp#1", Smtp = new SmtpSettings
            {
                Server = SmtpServer ?? throw new BackupInputException("AlertSmtpInvalid", "SmtpServer", "is missing while -To is given.", "Pass the mail relay host name."),
                Port = SmtpPort,
                From = From ?? throw new BackupInputException("AlertSmtpInvalid", "From", "is missing.", "Pass the sender address, e.g. backup@example.com."),
                To = To,
                UserName = Credential?.UserName,
                Password = Credential?.GetNetworkCredential().Password,
                UseStartTls = UseStartTls,
                SkipCertificateCheck = SkipCertificateCheck,
            } }), SmtpServer);
    }

    protected override void ProcessRecord()
    {
        foreach (var item in AlertInput.Flatten(InputObject))
        {
            var alert = AlertInput.ToEvent(item);
            if (alert is null)
                WriteWarning($"Send-BackupAlert ignored an input of type {(item is PSObject p ? p.TypeNames.FirstOrDefault() : item.GetType().FullName)}: it is no backup record, integrity result, restore result, status object or error.");
            else if (!OnFailure || alert.IsFailure)
                _events.Add(alert);
            // The original failure stays a failure: alerting on an error does not swallow it.
            if (item is ErrorRecord error) ErrorPassThrough.Write(this, error);
            else if (item is IContainsErrorRecord wrapped) ErrorPassThrough.Write(this, wrapped.ErrorRecord);
            else if (PassThru) WriteObject(item);
        }
    }

    protected override void EndProcessing()
    {
        if (_events.Count == 0)
        {
            WriteVerbose(OnFailure ? "No failures: nothing to send." : "No input: nothing to send.");
            return;
        }
        var logPath = AlertLog is null ? Core.Alerts.AlertLog.DefaultPath() : ResolvePath(AlertLog);
        var batch = new AlertBatch(_events);
        // -WhatIf: the headline each channel would get (secrets cut), and nothing sent or logged.
        var channels = _channels.Where(c => ShouldProcess($"{c.Name} ({c.Target})", c.Redactor.Redact($"Send {batch.Events.Count} event(s) headed '{batch.Headline}'"))).ToList();
        if (!ShouldProcess(logPath, $"Append {batch.Events.Count} event(s) to the alert log")) return;
        var results = RunCore((observer, _, cancel) => new AlertDispatcher(observer).Send(batch, channels, logPath, TimeSpan.FromSeconds(TimeoutSec), cancel));
        foreach (var failed in results.Where(r => !r.Sent))
            WriteFailure(new BackupToolsException("AlertChannelFailed", FailureKind.ExternalToolFailure,
                $"Alert channel {failed.Name} ({failed.Target}) failed{(failed.Tries > 1 ? $" after {failed.Tries} tries" : "")}: {failed.Error}",
                failed.Channel == "Log" ? "The alert still went to the channels; check the folder and permissions of -AlertLog."
                    : "The alert still went to the other channels and the alert log; check the channel's URL, token or server."), failed.Name);
        if (!PassThru) WriteObject(results, enumerateCollection: true);
    }

    /// <summary>Each URL becomes channel "Kind#n", n its position in the parameter (stable as long as the list is).</summary>
    private void AddChannels(string[] urls, string parameter, string kind, string? signingSecret = null)
    {
        for (var i = 0; i < urls.Length; i++)
        {
            var name = $"{parameter}#{i + 1}";
            if (!Uri.TryCreate(urls[i], UriKind.Absolute, out var uri))
            {
                // Not echoing the value: it is likely a URL with its token.
                WriteFailure(new BackupInputException("AlertWebhookInvalid", parameter, $"value {i + 1} ({name}) is not an absolute URL.", "Pass the webhook URL the service gave you (https://…)."), name);
                continue;
            }
            TryAdd(() => AlertChannelRegistry.Create(kind, new AlertChannelSettings { Name = name, Url = uri, SigningSecret = signingSecret }), name);
        }
    }

    private void TryAdd(Func<IAlertChannel> create, object? target)
    {
        try { _channels.Add(create()); }
        catch (BackupToolsException e) { WriteFailure(e, target); }
    }
}
