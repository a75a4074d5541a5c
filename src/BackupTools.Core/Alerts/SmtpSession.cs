using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Alerts;

/// <summary>
/// A minimal SMTP client (RFC 5321): EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, QUIT.
/// Written here instead of System.Net.Mail.SmtpClient because that one takes certificate checks from a
/// process-wide callback and has no AUTH PLAIN; this one keeps both per channel.
/// </summary>
internal sealed class SmtpSession : IDisposable
{
    private readonly TcpClient _tcp;
    private Stream _stream;
    private StreamReader _reader;
    private readonly SmtpSettings _settings;
    private readonly CancellationToken _cancel;
    private HashSet<string> _extensions = new(StringComparer.OrdinalIgnoreCase);
    private string _authMechanisms = "";

    private SmtpSession(TcpClient tcp, SmtpSettings settings, CancellationToken cancel)
    {
        _tcp = tcp;
        _settings = settings;
        _cancel = cancel;
        _stream = tcp.GetStream();
        _reader = new StreamReader(_stream, Encoding.ASCII, false, 1024, leaveOpen: true);
    }

    public static async Task<SmtpSession> ConnectAsync(SmtpSettings settings, CancellationToken cancel)
    {
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(settings.Server, settings.Port, cancel).ConfigureAwait(false);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        var session = new SmtpSession(tcp, settings, cancel);
        try
        {
            await session.ExpectAsync(220).ConfigureAwait(false);
            await session.HelloAsync().ConfigureAwait(false);
            if (settings.UseStartTls) await session.StartTlsAsync().ConfigureAwait(false);
            if (settings.UserName != null && settings.Password != null) await session.AuthenticateAsync().ConfigureAwait(false);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public async Task SendAsync(string from, IReadOnlyList<string> to, string message)
    {
        await CommandAsync($"MAIL FROM:<{from}>", 250).ConfigureAwait(false);
        foreach (var recipient in to) await CommandAsync($"RCPT TO:<{recipient}>", 250, 251).ConfigureAwait(false);
        await CommandAsync("DATA", 354).ConfigureAwait(false);
        // Dot-stuffing: a line starting with '.' gets another so it is not read as the end of data.
        var stuffed = string.Join("\r\n", message.Replace("\r\n", "\n").Split('\n').Select(l => l.StartsWith('.') ? "." + l : l));
        await WriteAsync(stuffed.TrimEnd('\r', '\n') + "\r\n.\r\n").ConfigureAwait(false);
        await ExpectAsync("DATA", 250).ConfigureAwait(false);
        try { await CommandAsync("QUIT", 221).ConfigureAwait(false); } catch (Exception e) when (e is IOException or SmtpReplyException) { } // delivered already
    }

    private async Task HelloAsync()
    {
        var lines = await CommandAsync("EHLO " + HelloName(), 250).ConfigureAwait(false);
        _extensions = new HashSet<string>(lines.Skip(1).Select(l => l.Split(' ')[0]), StringComparer.OrdinalIgnoreCase);
        _authMechanisms = lines.Select(l => l.ToUpperInvariant()).FirstOrDefault(l => l.StartsWith("AUTH ", StringComparison.Ordinal) || l.StartsWith("AUTH=", StringComparison.Ordinal)) ?? "";
    }

    private async Task StartTlsAsync()
    {
        if (!_extensions.Contains("STARTTLS"))
            throw new BackupToolsException("SmtpStartTlsUnavailable", FailureKind.ExternalToolFailure,
                $"{_settings.Server}:{_settings.Port} does not offer STARTTLS; nothing was sent.", "Use the relay's submission port (587), or drop -UseStartTls for a relay on a trusted network.");
        await CommandAsync("STARTTLS", 220).ConfigureAwait(false);
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = _settings.Server,
            RemoteCertificateValidationCallback = _settings.SkipCertificateCheck ? (_, _, _, _) => true : null,
        }, _cancel).ConfigureAwait(false);
        _stream = tls;
        _reader = new StreamReader(_stream, Encoding.ASCII, false, 1024, leaveOpen: true);
        await HelloAsync().ConfigureAwait(false); // capabilities may change after TLS (RFC 3207)
    }

    private async Task AuthenticateAsync()
    {
        var user = _settings.UserName!;
        var password = _settings.Password!;
        if (_authMechanisms.Contains("PLAIN", StringComparison.Ordinal))
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
            await CommandAsync("AUTH PLAIN " + token, "AUTH", 235).ConfigureAwait(false);
        }
        else if (_authMechanisms.Contains("LOGIN", StringComparison.Ordinal))
        {
            await CommandAsync("AUTH LOGIN", 334).ConfigureAwait(false);
            await CommandAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(user)), "AUTH", 334).ConfigureAwait(false);
            await CommandAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(password)), "AUTH", 235).ConfigureAwait(false);
        }
        else
        {
            throw new BackupToolsException("SmtpAuthUnavailable", FailureKind.AuthenticationFailure,
                $"{_settings.Server}:{_settings.Port} offers no AUTH PLAIN or LOGIN; nothing was sent.");
        }
    }

    private Task<List<string>> CommandAsync(string command, params int[] expected) => CommandAsync(command, command.Split(' ')[0], expected);

    /// <summary>step names the command in errors; AUTH lines pass "AUTH" so credentials are never echoed.</summary>
    private async Task<List<string>> CommandAsync(string command, string step, params int[] expected)
    {
        await WriteAsync(command + "\r\n").ConfigureAwait(false);
        return await ExpectAsync(step, expected).ConfigureAwait(false);
    }

    private Task<List<string>> ExpectAsync(int expected) => ExpectAsync("connect", expected);

    private async Task<List<string>> ExpectAsync(string step, params int[] expected)
    {
        var lines = new List<string>();
        int code;
        while (true)
        {
            var line = await _reader.ReadLineAsync(_cancel).ConfigureAwait(false)
                ?? throw new IOException($"SMTP server closed the connection during {step}.");
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out code))
                throw new SmtpReplyException(step, line, 0);
            lines.Add(line.Length > 4 ? line[4..] : "");
            if (line.Length == 3 || line[3] == ' ') break;
        }
        if (!expected.Contains(code)) throw new SmtpReplyException(step, $"{code} {lines.LastOrDefault()}", code);
        return lines;
    }

    private async Task WriteAsync(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await _stream.WriteAsync(bytes, _cancel).ConfigureAwait(false);
        await _stream.FlushAsync(_cancel).ConfigureAwait(false);
    }

    private static string HelloName()
    {
        var name = Environment.MachineName;
        return string.IsNullOrEmpty(name) || name.Contains(' ') ? "localhost" : name;
    }

    public void Dispose()
    {
        _reader.Dispose();
        _stream.Dispose();
        _tcp.Dispose();
    }
}

/// <summary>A 4xx reply is the server saying "not now" (RFC 5321 transient); 5xx is final.</summary>
internal sealed class SmtpReplyException(string step, string reply, int code)
    : AlertDeliveryException($"SMTP server refused {step}: {reply}", code is >= 400 and < 500, "SmtpRejected");
