using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Redis;

/// <summary>A reply the server sent as a RESP error ("-ERR …", "-WRONGPASS …").</summary>
public sealed class RespErrorException(string reply) : Exception(reply)
{
    public string Reply { get; } = reply;
    public bool IsAuthentication => Reply.StartsWith("NOAUTH", StringComparison.Ordinal) || Reply.StartsWith("WRONGPASS", StringComparison.Ordinal)
        || Reply.Contains("invalid password", StringComparison.OrdinalIgnoreCase) || Reply.Contains("without any password configured", StringComparison.Ordinal)
        || Reply.StartsWith("NOPERM", StringComparison.Ordinal);
}

/// <summary>
/// A bare RESP connection over TCP (or TLS via SslStream): commands out, simple replies in, and raw reads
/// for the replication transfer StackExchange.Redis cannot do. Buffered reads; one owner at a time.
/// </summary>
public sealed class RespConnection : IDisposable
{
    private readonly TcpClient _client;
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _pos, _len;

    private RespConnection(TcpClient client, Stream stream)
    {
        _client = client;
        _stream = stream;
    }

    public static RespConnection Open(RedisTarget target, TimeSpan timeout, CancellationToken cancel)
    {
        var client = new TcpClient { NoDelay = true, ReceiveBufferSize = 4 << 20 };
        try
        {
            // A synchronous connect keeps the socket blocking: after ConnectAsync, .NET emulates every sync read
            // with epoll wake-ups and spinning, which cost seconds of CPU per gigabyte of snapshot.
            var connect = Task.Run(() => client.Connect(target.Host, target.Port));
            bool connected;
            try { connected = connect.Wait(timeout, cancel); }
            catch (AggregateException e) when (e.InnerException is SocketException inner) { throw inner; }
            if (!connected) throw new SocketException((int)SocketError.TimedOut);
            client.ReceiveTimeout = (int)timeout.TotalMilliseconds;
            client.SendTimeout = (int)timeout.TotalMilliseconds;
            Stream stream = client.GetStream();
            if (target.Tls)
            {
                var ssl = new SslStream(stream, false, target.SkipCertificateCheck ? (_, _, _, _) => true : null);
                ssl.AuthenticateAsClient(target.Host);
                stream = ssl;
            }
            var connection = new RespConnection(client, stream);
            if (target.Password != null)
            {
                if (target.User is null) connection.Command("AUTH", target.Password);
                else connection.Command("AUTH", target.User, target.Password);
            }
            return connection;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Idle time allowed between bytes (the server sends newlines while it prepares a snapshot).</summary>
    public TimeSpan ReceiveTimeout { set => _client.ReceiveTimeout = (int)value.TotalMilliseconds; }

    public void Send(params string[] args)
    {
        var text = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var arg in args) text.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
        _stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
        _stream.Flush();
    }

    /// <summary>Sends a command and returns its reply as text (null for a nil bulk); a RESP error throws.</summary>
    public string? Command(params string[] args)
    {
        Send(args);
        return ReadReply();
    }

    public string? ReadReply()
    {
        var line = ReadLine();
        if (line.Length == 0) throw new IOException("empty reply line");
        switch (line[0])
        {
            case '+': case ':': return line[1..];
            case '-': throw new RespErrorException(line[1..]);
            case '$':
                var length = int.Parse(line.AsSpan(1));
                if (length < 0) return null;
                var bytes = new byte[length + 2];
                ReadExact(bytes);
                return Encoding.UTF8.GetString(bytes, 0, length);
            case '*':
                var items = int.Parse(line.AsSpan(1));
                var parts = new List<string?>();
                for (var i = 0; i < items; i++) parts.Add(ReadReply());
                return string.Join("\n", parts);
            default: throw new IOException($"unexpected reply '{line[..Math.Min(line.Length, 40)]}'");
        }
    }

    /// <summary>Reads the next byte; -1 when the server closed the connection.</summary>
    public int ReadByte()
    {
        if (_pos == _len && !Fill()) return -1;
        return _buffer[_pos++];
    }

    public string ReadLine()
    {
        var line = new StringBuilder();
        while (true)
        {
            var b = ReadByte();
            if (b < 0) throw new EndOfStreamException("the server closed the connection");
            if (b == '\n') return line.ToString().TrimEnd('\r');
            line.Append((char)b);
        }
    }

    /// <summary>Raw bytes: what is buffered first, then straight from the socket.</summary>
    public int Read(Span<byte> target)
    {
        if (_pos < _len)
        {
            var n = Math.Min(target.Length, _len - _pos);
            _buffer.AsSpan(_pos, n).CopyTo(target);
            _pos += n;
            return n;
        }
        return _stream.Read(target);
    }

    private void ReadExact(Span<byte> target)
    {
        while (target.Length > 0)
        {
            var n = Read(target);
            if (n == 0) throw new EndOfStreamException("the server closed the connection");
            target = target[n..];
        }
    }

    private bool Fill()
    {
        _pos = 0;
        _len = _stream.Read(_buffer);
        return _len > 0;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _client.Dispose();
    }
}
