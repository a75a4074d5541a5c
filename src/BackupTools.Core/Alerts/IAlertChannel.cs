namespace BackupTools.Core.Alerts;

/// <summary>Somewhere alerts go. Implementations throw on failure; the dispatcher isolates them.</summary>
public interface IAlertChannel
{
    /// <summary>webhook, slack, wecom, dingtalk, smtp.</summary>
    string Kind { get; }
    /// <summary>Where it goes, safe to show (no tokens, no passwords).</summary>
    string Target { get; }
    /// <summary>Cuts this channel's secrets out of error text.</summary>
    SecretRedactor Redactor { get; }
    /// <summary>Sends or throws; cancel also carries the dispatcher's deadline.</summary>
    Task SendAsync(AlertBatch batch, CancellationToken cancel);
}
