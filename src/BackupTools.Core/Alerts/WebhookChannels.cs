using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace BackupTools.Core.Alerts;

/// <summary>Generic JSON: the title, counts and every event with all its fields, for your own receiver.</summary>
public sealed class WebhookChannel(Uri url) : HttpJsonChannel(url)
{
    public override string Kind => "Webhook";

    protected override JsonObject Body(AlertBatch batch) => new()
    {
        ["source"] = "BackupTools",
        ["host"] = batch.Host,
        ["title"] = batch.Title,
        ["headline"] = batch.Headline,
        ["failed"] = batch.FailedCount,
        ["warnings"] = batch.WarningCount,
        ["text"] = batch.Format(AlertTextStyle.Plain),
        ["events"] = new JsonArray(batch.Events.Select(AlertJson.Event).ToArray<JsonNode?>()),
    };
}

/// <summary>Slack incoming webhook: "text" as the notification fallback, blocks for the message itself.</summary>
public sealed class SlackChannel(Uri url) : HttpJsonChannel(url)
{
    public override string Kind => "Slack";

    protected override JsonObject Body(AlertBatch batch)
    {
        var text = Cap(batch.Format(AlertTextStyle.Slack), 2900); // a section block holds at most 3000 characters
        return new JsonObject
        {
            ["text"] = batch.Headline, // the notification preview
            ["blocks"] = new JsonArray(
                new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Cap(batch.Title, 150) } },
                new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = text } }),
        };
    }
}

/// <summary>WeCom (企业微信) group robot: markdown message, content at most 4096 bytes.</summary>
public sealed class WeComChannel(Uri url) : HttpJsonChannel(url)
{
    public override string Kind => "WeCom";

    protected override JsonObject Body(AlertBatch batch) => new()
    {
        ["msgtype"] = "markdown",
        // The first line is what the notification shows: the headline, then the details.
        ["markdown"] = new JsonObject { ["content"] = Cap($"**{batch.Headline}**\n\n{batch.Format(AlertTextStyle.Markdown)}", 1300) }, // 4096 bytes of UTF-8 CJK ≈ 1365 chars
    };

    protected override void CheckResponse(string body) => CheckErrCode(body);
}

/// <summary>
/// DingTalk (钉钉) custom robot: markdown message. With a signing secret, each request carries
/// timestamp (ms) and sign = base64(HMAC-SHA256(secret, timestamp + "\n" + secret)), URL-encoded.
/// </summary>
public sealed class DingTalkChannel : HttpJsonChannel
{
    private readonly string? _secret;
    private readonly Func<DateTimeOffset> _clock;

    public DingTalkChannel(Uri url, string? secret, Func<DateTimeOffset>? clock = null) : base(url)
    {
        _secret = string.IsNullOrEmpty(secret) ? null : secret;
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
        Redactor.Add(_secret);
    }

    public override string Kind => "DingTalk";

    protected override JsonObject Body(AlertBatch batch) => new()
    {
        ["msgtype"] = "markdown",
        // DingTalk shows the title in the notification and the chat list.
        ["markdown"] = new JsonObject { ["title"] = batch.Headline, ["text"] = Cap($"### {batch.Title}\n{batch.Format(AlertTextStyle.Markdown)}", 5000) },
    };

    protected override Uri RequestUri()
    {
        if (_secret is null) return Url;
        var timestamp = _clock().ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var sign = Uri.EscapeDataString(Sign(timestamp, _secret));
        Redactor.Add(sign);
        var separator = string.IsNullOrEmpty(Url.Query) ? "?" : "&";
        return new Uri($"{Url.AbsoluteUri}{separator}timestamp={timestamp}&sign={sign}");
    }

    public static string Sign(string timestamp, string secret)
    {
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(timestamp + "\n" + secret)));
    }

    protected override void CheckResponse(string body) => CheckErrCode(body);
}
