using System.Text.RegularExpressions;

namespace BackupTools.Core.Alerts;

/// <summary>
/// Webhook URLs carry their token in the path, query or user info (Slack /services/T…/B…/X…, Teams
/// /webhookb2/…, WeCom ?key=, DingTalk ?access_token=, https://user:pass@host), so the URL is a secret: shown
/// only as scheme://host/…, and its secret parts are cut out of error text before it reaches a warning, a
/// result or the alert log. Only the secret parts: plain path words ("send", "robot", "hooks") stay, so an
/// error such as "An error occurred while sending the request" keeps its words.
/// </summary>
public sealed class SecretRedactor
{
    private const string Mask = "***";
    private readonly List<string> _secrets = new();
    private readonly object _gate = new();

    public SecretRedactor Add(string? secret)
    {
        lock (_gate)
            if (!string.IsNullOrEmpty(secret) && secret.Length >= 4 && !_secrets.Contains(secret)) _secrets.Add(secret);
        return this;
    }

    /// <summary>The whole URL and its path+query, user info, each query value and each path segment that looks like a token.</summary>
    public SecretRedactor AddUri(Uri uri)
    {
        Add(uri.OriginalString);
        Add(uri.AbsoluteUri);
        Add(uri.PathAndQuery.Length > 1 ? uri.PathAndQuery : null);
        // user:password — the password is the secret (the user name alone is often an ordinary word).
        Add(uri.UserInfo.Contains(':') ? uri.UserInfo : null);
        if (uri.UserInfo.Split(':', 2) is [_, var password])
        {
            Add(password);
            Add(Uri.UnescapeDataString(password));
        }
        foreach (var segment in uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(LooksLikeToken))
        {
            Add(segment);
            Add(Uri.UnescapeDataString(segment));
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var value = pair.Split('=', 2) is [_, var v] ? v : null;
            Add(value);
            if (value != null) Add(Uri.UnescapeDataString(value));
        }
        return this;
    }

    /// <summary>
    /// Tokens are long or carry digits (Slack T0123ABCD and its 24-character key, GUIDs, Discord ids); words
    /// ("send", "webhook", "IncomingWebhook") are not. A path that is secret as a whole (an ntfy topic) is still
    /// cut wherever the full path appears.
    /// </summary>
    internal static bool LooksLikeToken(string segment) =>
        segment.Length >= 20 || (segment.Length >= 8 && segment.Count(char.IsAsciiDigit) >= 2);

    public string Redact(string text)
    {
        string[] secrets;
        lock (_gate) secrets = _secrets.OrderByDescending(s => s.Length).ToArray();
        // Longest first so a URL is masked whole before its parts.
        foreach (var secret in secrets)
            text = secret.All(char.IsAsciiLetter)
                // A secret made of letters only is cut as a whole word, never out of the middle of one.
                ? Regex.Replace(text, $@"(?<![A-Za-z]){Regex.Escape(secret)}(?![A-Za-z])", Mask)
                : text.Replace(secret, Mask, StringComparison.Ordinal);
        return text;
    }

    /// <summary>How a webhook is named in results and logs: scheme and host only (its Name tells channels apart).</summary>
    public static string DisplayUri(Uri uri) => $"{uri.Scheme}://{uri.Authority}/…";
}
