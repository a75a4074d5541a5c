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

    public FlakyTcpProxy(int targetPort)
    {
        _targetPort = targetPort;
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
            _ = Pump(inbound, outbound);
            _ = Pump(outbound, inbound);
        }
    }

    private static async Task Pump(TcpClient from, TcpClient to)
    {
        try { await from.GetStream().CopyToAsync(to.GetStream()); }
        catch (Exception) { }
        finally { try { to.Close(); } catch (Exception) { } }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_open) foreach (var client in _open) client.Close();
    }
}
