using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Alerts;

/// <summary>Base of the webhook channels: POSTs one JSON document per batch.</summary>
public abstract class HttpJsonChannel : IAlertChannel
{
    // One client for all channels: sockets are pooled, DNS changes are picked up after a few minutes.
    // The dispatcher's per-channel deadline is the timeout.
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,
    };

    protected HttpJsonChannel(Uri url)
    {
        if (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)
            throw new BackupInputException("AlertWebhookInvalid", Kind, $"'{SecretRedactor.DisplayUri(url)}' is not an http(s) URL.", "Pass the webhook URL the service gave you (https://…).");
        Url = url;
        Redactor = new SecretRedactor().AddUri(url);
    }

    protected Uri Url { get; }
    public abstract string Kind { get; }
    private readonly string? _name;
    public string Name { get => _name ?? Kind; init => _name = value; }
    public string Target => SecretRedactor.DisplayUri(Url);
    public SecretRedactor Redactor { get; }

    protected abstract JsonObject Body(AlertBatch batch);

    /// <summary>The URL actually called (DingTalk adds a signature).</summary>
    protected virtual Uri RequestUri() => Url;

    /// <summary>WeCom and DingTalk answer 200 with {"errcode": n, "errmsg": …}; anything but 0 is a failure.</summary>
    protected virtual void CheckResponse(string body) { }

    public async Task SendAsync(AlertBatch batch, CancellationToken cancel)
    {
        using var content = new StringContent(Body(batch).ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        using var response = await Http.PostAsync(RequestUri(), content, cancel).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (!response.IsSuccessStatusCode)
            // 5xx, 408 and 429 say "try again later"; other 4xx (wrong token, bad URL) will not change on retry.
            throw new AlertDeliveryException($"HTTP {status} {response.ReasonPhrase}: {Shorten(text)}", status >= 500 || status is 408 or 429);
        CheckResponse(text);
    }

    protected static void CheckErrCode(string body)
    {
        JsonNode? json;
        try { json = JsonNode.Parse(body); } catch (JsonException) { return; }
        var code = json?["errcode"]?.GetValue<int>();
        if (code is { } c && c != 0)
            throw new AlertDeliveryException($"errcode {c}: {Shorten(json?["errmsg"]?.ToString() ?? "")}", transient: c == -1); // -1: "system busy"
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    /// <summary>Chat services cap message size; cut the text, never the JSON.</summary>
    protected static string Cap(string text, int max) => text.Length <= max ? text : text[..(max - 20)] + "\n… (truncated)";
}
