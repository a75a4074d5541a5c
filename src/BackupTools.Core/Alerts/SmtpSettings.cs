namespace BackupTools.Core.Alerts;

/// <summary>Where and how mail goes. Password is held only in memory and never shown.</summary>
public sealed record SmtpSettings
{
    public required string Server { get; init; }
    public int Port { get; init; } = 587;
    public required string From { get; init; }
    public required IReadOnlyList<string> To { get; init; }
    public string? UserName { get; init; }
    public string? Password { get; init; }
    /// <summary>Upgrade with STARTTLS before anything else; fail when the server does not offer it.</summary>
    public bool UseStartTls { get; init; }
    /// <summary>Accept any server certificate (self-signed test servers only).</summary>
    public bool SkipCertificateCheck { get; init; }
}
