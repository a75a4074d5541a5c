using System.Net;
using System.Net.Sockets;

namespace BackupTools.Tests.Storage;

/// <summary>
/// A loopback TCP forwarder in front of a real server that can cut the network for a while: open
/// connections are reset and new ones refused, the server itself keeps its state (like a network blip).
/// </summary>
public sealed class FlakyTcpProxy : IDisposable
{
    private readonly int _targetPort;
    private readonly List<TcpClient> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private TcpListener _listener;

    private readonly long _bytesPerSecond;
    private readonly long _downloadBytesPerSecond;

    /// <param name="bytesPerSecond">Upload (client → server) rate limit, 0 for none: makes "mid-upload" last long enough to hit.</param>
    /// <param name="downloadBytesPerSecond">Download (server → client) rate limit, 0 for none: a slow GET of a large object.</param>
    public FlakyTcpProxy(int targetPort, long bytesPerSecond = 0, long downloadBytesPerSecond = 0)
    {
        _targetPort = targetPort;
        _bytesPerSecond = bytesPerSecond;
        _downloadBytesPerSecond = downloadBytesPerSecond;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoop(_listener);
    }

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";
    public int Cuts { get; private set; }

    /// <summary>Resets every connection and refuses new ones for the given time.</summary>
    public void CutFor(TimeSpan outage)
    {
        Cuts++;
        _listener.Stop();
        lock (_open)
        {
            foreach (var client in _open)
            {
                try { client.Client.LingerState = new LingerOption(true, 0); client.Close(); } catch (Exception) { }
            }
            _open.Clear();
        }
        _ = Task.Delay(outage).ContinueWith(_ =>
        {
            if (_stop.IsCancellationRequested) return;
            _listener = new TcpListener(IPAddress.Loopback, Port);
            _listener.Start();
            _ = AcceptLoop(_listener);
        });
    }

    private async Task AcceptLoop(TcpListener listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try { inbound = await listener.AcceptTcpClientAsync(); }
            catch (Exception) { return; }
            var outbound = new TcpClient();
            try { await outbound.ConnectAsync(IPAddress.Loopback, _targetPort); }
            catch (Exception) { inbound.Close(); continue; }
            lock (_open) { _open.Add(inbound); _open.Add(outbound); }
            _ = Pump(inbound, outbound, _bytesPerSecond);
            _ = Pump(outbound, inbound, _downloadBytesPerSecond);
        }
    }

    private static async Task Pump(TcpClient from, TcpClient to, long bytesPerSecond)
    {
        try
        {
            var buffer = new byte[64 * 1024];
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long sent = 0;
            int n;
            while ((n = await from.GetStream().ReadAsync(buffer)) > 0)
            {
                await to.GetStream().WriteAsync(buffer.AsMemory(0, n));
                sent += n;
                if (bytesPerSecond > 0)
                {
                    var due = TimeSpan.FromSeconds((double)sent / bytesPerSecond) - clock.Elapsed;
                    if (due > TimeSpan.Zero) await Task.Delay(due);
                }
            }
        }
        catch (Exception) { }
        finally
        {
            // Either side gone: drop both, as a dead server's socket would be.
            try { to.Close(); } catch (Exception) { }
            try { from.Close(); } catch (Exception) { }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_open) foreach (var client in _open) client.Close();
    }
}
