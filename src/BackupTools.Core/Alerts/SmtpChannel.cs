using System.Globalization;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Alerts;

/// <summary>Mail through an SMTP relay: one plain-text message per batch to all recipients.</summary>
public sealed class SmtpChannel : IAlertChannel
{
    private readonly SmtpSettings _settings;

    public SmtpChannel(SmtpSettings settings)
    {
        if (string.IsNullOrWhiteSpace(settings.Server))
            throw new BackupInputException("AlertSmtpInvalid", "SmtpServer", "is empty.", "Pass the mail relay host name.");
        if (!SmtpAddress.IsValid(settings.From))
            throw new BackupInputException("AlertSmtpInvalid", "From", $"'{settings.From}' is not a mail address.", "Pass an address like backup@example.com.");
        if (settings.To.Count == 0)
            throw new BackupInputException("AlertSmtpInvalid", "To", "no recipient given.", "Pass one or more addresses like ops@example.com.");
        if (settings.To.FirstOrDefault(a => !SmtpAddress.IsValid(a)) is { } bad)
            throw new BackupInputException("AlertSmtpInvalid", "To", $"'{bad}' is not a mail address.", "Pass one or more addresses like ops@example.com.");
        if (settings.Password != null && !settings.UseStartTls)
            throw new BackupInputException("AlertSmtpCleartextPassword", "Credential", "would be sent unencrypted without -UseStartTls.", "Add -UseStartTls (the relay must offer STARTTLS), or drop -Credential for a relay that needs no login.");
        _settings = settings;
        Redactor = new SecretRedactor().Add(settings.Password);
    }

    public string Kind => "Smtp";
    public string Name { get; init; } = "Smtp";
    public string Target => $"smtp://{_settings.Server}:{_settings.Port} → {string.Join(", ", _settings.To)}";
    public SecretRedactor Redactor { get; }

    public async Task SendAsync(AlertBatch batch, CancellationToken cancel)
    {
        using var session = await SmtpSession.ConnectAsync(_settings, cancel).ConfigureAwait(false);
        await session.SendAsync(_settings.From, _settings.To, Message(batch)).ConfigureAwait(false);
    }

    private string Message(AlertBatch batch)
    {
        var body = Convert.ToBase64String(Encoding.UTF8.GetBytes(batch.Format(AlertTextStyle.Plain)), Base64FormattingOptions.InsertLineBreaks);
        var now = DateTimeOffset.Now;
        var date = now.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture) + now.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "");
        return $"From: <{_settings.From}>\r\nTo: {string.Join(", ", _settings.To.Select(a => $"<{a}>"))}\r\nSubject: {EncodedWords(batch.Title)}\r\n" +
               $"Date: {date}\r\nMessage-ID: <{Guid.NewGuid():N}@backuptools>\r\nMIME-Version: 1.0\r\n" +
               $"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{body.Replace("\r\n", "\n").Replace("\n", "\r\n")}\r\n";
    }

    /// <summary>RFC 2047 encoded words of at most 75 characters each (45 UTF-8 bytes), folded onto continuation lines.</summary>
    internal static string EncodedWords(string text)
    {
        var words = new List<string>();
        var chunk = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (Encoding.UTF8.GetByteCount(chunk.ToString()) + rune.Utf8SequenceLength > 45)
            {
                words.Add(chunk.ToString());
                chunk.Clear();
            }
            chunk.Append(rune.ToString());
        }
        if (chunk.Length > 0 || words.Count == 0) words.Add(chunk.ToString());
        return string.Join("\r\n ", words.Select(w => "=?utf-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(w)) + "?="));
    }
}

internal static class SmtpAddress
{
    // Deliberately simple: one @, no spaces or angle brackets (they would break the SMTP envelope).
    public static bool IsValid(string? address) =>
        !string.IsNullOrEmpty(address) && address.Count(c => c == '@') == 1 && address.IndexOfAny([' ', '<', '>', '\r', '\n']) < 0
        && address.IndexOf('@') > 0 && address.IndexOf('@') < address.Length - 1;
}
