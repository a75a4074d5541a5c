namespace BackupTools.Core.Alerts;

/// <summary>
/// What an alert channel is made from, whoever asks (Send-BackupAlert's parameters, a plan's alerts entry), with
/// secrets already resolved. Each kind takes what it needs: a URL (webhooks) or mail settings (email).
/// </summary>
public sealed record AlertChannelSettings
{
    /// <summary>Safe to show and stable across runs: "Slack#1", a plan channel's name.</summary>
    public required string Name { get; init; }
    public Uri? Url { get; init; }
    /// <summary>A signing secret (DingTalk's "加签").</summary>
    public string? SigningSecret { get; init; }
    public SmtpSettings? Smtp { get; init; }
}
