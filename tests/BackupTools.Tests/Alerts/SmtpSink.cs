using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace BackupTools.Tests.Alerts;

/// <summary>
/// A small SMTP server on loopback speaking enough of the protocol for a real client: EHLO, STARTTLS
/// (self-signed certificate), AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, QUIT. Records what arrived and whether
/// the login happened over TLS.
/// </summary>
public sealed class SmtpSink : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate = SelfSigned();
    private readonly bool _offerStartTls;
    private readonly string _user, _password;

    public SmtpSink(string user = "alerts", string password = "s3cret-Pa55", bool offerStartTls = true)
    {
        _user = user;
        _password = password;
        _offerStartTls = offerStartTls;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptLoop);
    }

    public int Port { get; }
    public sealed record Mail(string From, List<string> To, string Data, bool OverTls, bool Authenticated);
    public ConcurrentQueue<Mail> Mails { get; } = new();
    public ConcurrentQueue<string> Log { get; } = new();
    public volatile bool AuthOverPlainText;

    private async Task AcceptLoop()
    {
        while (true)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(); } catch (Exception) { return; }
            _ = Task.Run(() => Session(client));
        }
    }

    private async Task Session(TcpClient client)
    {
        using var _ = client;
        Stream stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        async Task Say(string line) { var b = Encoding.ASCII.GetBytes(line + "\r\n"); await stream.WriteAsync(b); await stream.FlushAsync(); }
        bool tls = false, authed = false;
        string from = "";
        var to = new List<string>();
        try
        {
            await Say("220 sink ESMTP");
            while (await reader.ReadLineAsync() is { } line)
            {
                Log.Enqueue(line.StartsWith("AUTH", StringComparison.Ordinal) ? "AUTH …" : line);
                var verb = line.Split(' ')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await Say("250-sink");
                        if (_offerStartTls && !tls) await Say("250-STARTTLS");
                        await Say("250-AUTH PLAIN LOGIN");
                        await Say("250 8BITMIME");
                        break;
                    case "STARTTLS":
                        await Say("220 go ahead");
                        var ssl = new SslStream(stream);
                        try { await ssl.AuthenticateAsServerAsync(_certificate); }
                        catch (Exception) { return; } // the client refused our certificate
                        stream = ssl;
                        reader = new StreamReader(stream, Encoding.ASCII);
                        tls = true;
                        break;
                    case "AUTH":
                        if (!tls) AuthOverPlainText = true;
                        string user, password;
                        if (line.Split(' ') is [_, "PLAIN", var token])
                        {
                            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split('\0');
                            (user, password) = (parts[1], parts[2]);
                        }
                        else
                        {
                            await Say("334 VXNlcm5hbWU6");
                            user = Encoding.UTF8.GetString(Convert.FromBase64String(await reader.ReadLineAsync() ?? ""));
                            await Say("334 UGFzc3dvcmQ6");
                            password = Encoding.UTF8.GetString(Convert.FromBase64String(await reader.ReadLineAsync() ?? ""));
                        }
                        authed = user == _user && password == _password;
                        await Say(authed ? "235 ok" : "535 5.7.8 authentication failed");
                        break;
                    case "MAIL":
                        from = line[(line.IndexOf('<') + 1)..line.IndexOf('>')];
                        await Say("250 ok");
                        break;
                    case "RCPT":
                        to.Add(line[(line.IndexOf('<') + 1)..line.IndexOf('>')]);
                        await Say("250 ok");
                        break;
                    case "DATA":
                        await Say("354 end with .");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync() is { } d && d != ".") data.Append(d.StartsWith("..") ? d[1..] : d).Append("\r\n");
                        Mails.Enqueue(new Mail(from, to.ToList(), data.ToString(), tls, authed));
                        await Say("250 queued");
                        break;
                    case "QUIT":
                        await Say("221 bye");
                        return;
                    default:
                        await Say("502 unknown");
                        break;
                }
            }
        }
        catch (IOException) { }
    }

    private static X509Certificate2 SelfSigned()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Round trip through PFX so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    public void Dispose()
    {
        _listener.Stop();
        _certificate.Dispose();
    }
}
