namespace BackupTools.Core.Alerts;

/// <summary>
/// Webhook URLs carry their token in the path or query (Slack /services/T/B/X, WeCom ?key=, DingTalk
/// ?access_token=), so the URL itself is a secret: shown only as scheme://host/…, and every secret part
/// is cut out of error text before it reaches a warning, a result or the alert log.
/// </summary>
public sealed class SecretRedactor
{
    private const string Mask = "***";
    private readonly List<string> _secrets = new();

    public SecretRedactor Add(string? secret)
    {
        if (!string.IsNullOrEmpty(secret) && secret.Length >= 4 && !_secrets.Contains(secret)) _secrets.Add(secret);
        return this;
    }

    /// <summary>The whole URL, its path+query, each path segment and each query value.</summary>
    public SecretRedactor AddUri(Uri uri)
    {
        Add(uri.OriginalString);
        Add(uri.AbsoluteUri);
        Add(uri.PathAndQuery.Length > 1 ? uri.PathAndQuery : null);
        foreach (var segment in uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries)) Add(segment);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var value = pair.Split('=', 2) is [_, var v] ? v : null;
            Add(value);
            if (value != null) Add(Uri.UnescapeDataString(value));
        }
        return this;
    }

    public string Redact(string text)
    {
        // Longest first so a URL is masked whole before its parts.
        foreach (var secret in _secrets.OrderByDescending(s => s.Length))
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        return text;
    }

    /// <summary>How a webhook is named in results and logs: scheme and host only.</summary>
    public static string DisplayUri(Uri uri) => $"{uri.Scheme}://{uri.Authority}/…";
}
