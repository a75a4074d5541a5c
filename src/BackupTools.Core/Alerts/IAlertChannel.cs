namespace BackupTools.Core.Alerts;

/// <summary>Somewhere alerts go. Implementations throw on failure; the dispatcher isolates them.</summary>
public interface IAlertChannel
{
    /// <summary>Webhook, Slack, WeCom, DingTalk, Smtp.</summary>
    string Kind { get; }
    /// <summary>Which channel this is, safe to show and stable across runs: "Webhook#2", a plan channel's name.
    /// Two channels of one kind on one host are told apart by it (the target hides the URL's path).</summary>
    string Name { get; }
    /// <summary>Where it goes, safe to show (no tokens, no passwords).</summary>
    string Target { get; }
    /// <summary>Cuts this channel's secrets out of error text.</summary>
    SecretRedactor Redactor { get; }
    /// <summary>Sends or throws (AlertDeliveryException says whether another try may help); cancel also carries the dispatcher's deadline.</summary>
    Task SendAsync(AlertBatch batch, CancellationToken cancel);
}

/// <summary>A channel refused or lost the alert. Transient: the same message may get through on another try.</summary>
public class AlertDeliveryException(string message, bool transient, string errorId = "AlertChannelFailed")
    : Errors.BackupToolsException(errorId, Errors.FailureKind.ExternalToolFailure, message)
{
    public bool Transient { get; } = transient;
}
