using System.Net;
using System.Net.Sockets;

namespace BackupTools.Tests.Redis;

/// <summary>A loopback TCP proxy to a server that drops the connection once it has passed <c>limit</c> bytes back to the client.</summary>
public sealed class CuttingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public CuttingProxy(int upstreamPort, long limit)
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(_stop.Token); } catch (Exception) { return; }
                _ = Task.Run(async () =>
                {
                    using var down = client;
                    using var up = new TcpClient();
                    await up.ConnectAsync(IPAddress.Loopback, upstreamPort);
                    var toServer = down.GetStream().CopyToAsync(up.GetStream(), _stop.Token);
                    var buffer = new byte[8192];
                    long passed = 0;
                    try
                    {
                        int n;
                        while ((n = await up.GetStream().ReadAsync(buffer, _stop.Token)) > 0 && passed < limit)
                        {
                            var take = (int)Math.Min(n, limit - passed);
                            await down.GetStream().WriteAsync(buffer.AsMemory(0, take), _stop.Token);
                            passed += take;
                        }
                    }
                    catch (Exception) { }
                    down.Client.LingerState = new LingerOption(true, 0); // reset, like a killed peer
                });
            }
        });
    }

    public int Port { get; }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
