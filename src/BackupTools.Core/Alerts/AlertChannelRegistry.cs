using BackupTools.Core.Errors;

namespace BackupTools.Core.Alerts;

/// <summary>One kind of alert channel: its name in plans (type:), what it is configured by, and how it is made.</summary>
public sealed record AlertChannelKind(string Name, bool UsesSmtp, Func<AlertChannelSettings, IAlertChannel> Create);

/// <summary>
/// Every alert channel kind, used by both Send-BackupAlert and plans, so a kind is never known to one and guessed by
/// the other. Adding a channel: its class in Alerts/ and one line here (plus a Send-BackupAlert parameter).
/// An unknown kind is an error, never sent as something else.
/// </summary>
public static class AlertChannelRegistry
{
    private static readonly AlertChannelKind[] Kinds =
    [
        new("webhook", false, s => new WebhookChannel(UrlOf(s)) { Name = s.Name }),
        new("slack", false, s => new SlackChannel(UrlOf(s)) { Name = s.Name }),
        new("wecom", false, s => new WeComChannel(UrlOf(s)) { Name = s.Name }),
        new("dingtalk", false, s => new DingTalkChannel(UrlOf(s), s.SigningSecret) { Name = s.Name }),
        new("email", true, s => new SmtpChannel(s.Smtp ?? throw Missing(s, "mail settings (server, from, to)")) { Name = s.Name }),
    ];

    public static IReadOnlyList<string> Names { get; } = Kinds.Select(k => k.Name).ToArray();

    public static AlertChannelKind? Find(string name) => Kinds.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase));

    public static AlertChannelKind Kind(string name) => Find(name) ?? throw UnknownKind(name);

    public static BackupInputException UnknownKind(string name) =>
        new("AlertChannelKindUnknown", "type", $"'{name}' is not a kind of alert channel.", $"Use one of: {string.Join(", ", Names)}.");

    public static IAlertChannel Create(string kind, AlertChannelSettings settings) => Kind(kind).Create(settings);

    private static Uri UrlOf(AlertChannelSettings settings) => settings.Url ?? throw Missing(settings, "a URL");

    private static BackupInputException Missing(AlertChannelSettings settings, string what) =>
        new("AlertChannelIncomplete", "type", $"alert channel {settings.Name} has no {what}.", "Give the channel what its kind needs.");
}
