namespace BackupTools;

/// <summary>What Send-BackupAlert did with one channel (the alert log counts as one): sent or not, and why not.</summary>
public sealed record AlertResult
{
    /// <summary>The channel's identity, never a secret: Webhook#2 (the second -Webhook), a plan channel's name or alerts#3, or Log.</summary>
    public required string Name { get; init; }
    /// <summary>Webhook, Slack, WeCom, DingTalk, Smtp or Log.</summary>
    public required string Channel { get; init; }
    /// <summary>Where it went, without tokens or passwords (webhooks show scheme://host/… only).</summary>
    public required string Target { get; init; }
    public required bool Sent { get; init; }
    /// <summary>How many times it was tried: transient failures (dropped connection, HTTP 5xx/429) are retried within the timeout.</summary>
    public int Tries { get; init; } = 1;
    public required int Events { get; init; }
    public required int Failures { get; init; }
    /// <summary>Why the channel failed, secrets removed; null when sent.</summary>
    public string? Error { get; init; }
    public required TimeSpan Duration { get; init; }

    public override string ToString() => $"{Name} {Target}: {(Sent ? "sent" : "FAILED " + Error)}{(Tries > 1 ? $" ({Tries} tries)" : "")}";
}
