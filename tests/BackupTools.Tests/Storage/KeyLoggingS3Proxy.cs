using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace BackupTools.Tests.Storage;

/// <summary>
/// A loopback TCP forwarder in front of the test S3 server that logs, per request, the method, the path and the
/// access key id its SigV4 signature names — so a test sees which credential each command really used.
/// Each proxy is its own endpoint: two proxies are two "servers" to the module.
/// </summary>
public sealed partial class KeyLoggingS3Proxy : IDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly List<LoggedRequest> _log = [];
    private readonly CancellationTokenSource _stop = new();

    public KeyLoggingS3Proxy(string targetEndpoint)
    {
        _targetPort = new Uri(targetEndpoint).Port;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoop();
    }

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<LoggedRequest> Requests { get { lock (_log) return _log.ToList(); } }
    public void Clear() { lock (_log) _log.Clear(); }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try { inbound = await _listener.AcceptTcpClientAsync(); }
            catch (Exception) { return; }
            var outbound = new TcpClient();
            try { await outbound.ConnectAsync(IPAddress.Loopback, _targetPort); }
            catch (Exception) { inbound.Close(); continue; }
            _ = Pump(inbound, outbound, logRequests: true);
            _ = Pump(outbound, inbound, logRequests: false);
        }
    }

    private async Task Pump(TcpClient from, TcpClient to, bool logRequests)
    {
        var pending = new StringBuilder();
        try
        {
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await from.GetStream().ReadAsync(buffer)) > 0)
            {
                if (logRequests) Scan(pending, Encoding.Latin1.GetString(buffer, 0, n));
                await to.GetStream().WriteAsync(buffer.AsMemory(0, n));
            }
        }
        catch (Exception) { }
        finally
        {
            try { to.Close(); } catch (Exception) { }
            try { from.Close(); } catch (Exception) { }
        }
    }

    /// <summary>Finds complete request heads in the client's byte stream (bodies in between are skipped over).</summary>
    private void Scan(StringBuilder pending, string chunk)
    {
        pending.Append(chunk);
        var text = pending.ToString();
        var consumed = 0;
        for (var head = RequestHead().Match(text); head.Success; head = head.NextMatch())
        {
            var key = Credential().Match(head.Groups["headers"].Value);
            lock (_log) _log.Add(new LoggedRequest(head.Groups["method"].Value, head.Groups["path"].Value, key.Success ? key.Groups[1].Value : null));
            consumed = head.Index + head.Length;
        }
        pending.Remove(0, consumed);
        if (pending.Length > 1 << 20) pending.Remove(0, pending.Length - 16 * 1024);
    }

    [GeneratedRegex(@"(?<method>GET|PUT|HEAD|POST|DELETE) (?<path>\S+) HTTP/1\.1\r\n(?<headers>.*?)\r\n\r\n", RegexOptions.Singleline)]
    private static partial Regex RequestHead();

    [GeneratedRegex(@"Credential=([^/\s]+)/")]
    private static partial Regex Credential();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}

public sealed record LoggedRequest(string Method, string Path, string? AccessKey);
