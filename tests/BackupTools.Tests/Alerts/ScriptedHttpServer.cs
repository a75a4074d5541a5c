using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace BackupTools.Tests.Alerts;

/// <summary>
/// A real HTTP server on loopback (a TcpListener speaking HTTP/1.1 or HTTP/1.0 by hand) that answers each path by
/// a script — a status, a delay, or a connection dropped before any answer — and records every request. A path's
/// script is used up in order; its last step then repeats. Unscripted paths answer 200 {"errcode":0}.
/// Ports come from 50600..50699 (this helper's range).
/// </summary>
public sealed class ScriptedHttpServer : IDisposable
{
    public sealed record Step(int Status = 200, string Body = "{\"errcode\":0,\"errmsg\":\"ok\"}", TimeSpan Delay = default, bool Drop = false);
    public sealed record Request(string Method, string PathAndQuery, string Version, string Body)
    {
        public string Path => PathAndQuery.Split('?')[0];
        public JsonNode Json => JsonNode.Parse(Body)!;
    }

    public static Step Answer(int status, string body = "{\"errcode\":0,\"errmsg\":\"ok\"}") => new(status, body);
    public static Step Dropped() => new(Drop: true);

    private readonly TcpListener _listener;
    private readonly string _version;
    private readonly ConcurrentDictionary<string, (Step[] Steps, int Next)> _scripts = new();
    private readonly CancellationTokenSource _stop = new();

    public ScriptedHttpServer(string httpVersion = "1.1")
    {
        _version = httpVersion;
        (_listener, Port) = Bind();
        _ = Task.Run(AcceptLoop);
    }

    public int Port { get; }
    public ConcurrentQueue<Request> Requests { get; } = new();
    public string Url(string pathAndQuery) => $"http://127.0.0.1:{Port}{pathAndQuery}";
    public IReadOnlyList<Request> To(string path) => Requests.Where(r => r.Path == path).ToList();

    /// <summary>Answers for one path (without query), in order; the last one repeats.</summary>
    public ScriptedHttpServer Script(string path, params Step[] steps)
    {
        _scripts[path] = (steps, 0);
        return this;
    }

    private static (TcpListener, int) Bind()
    {
        for (var port = 50600; port <= 50699; port++)
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start(50);
                return (listener, port);
            }
            catch (SocketException)
            {
                listener.Stop();
            }
        }
        throw new InvalidOperationException("No free port in 50600..50699.");
    }

    private Step Next(string path)
    {
        while (true)
        {
            if (!_scripts.TryGetValue(path, out var script)) return new Step();
            var step = script.Steps[Math.Min(script.Next, script.Steps.Length - 1)];
            if (_scripts.TryUpdate(path, (script.Steps, script.Next + 1), script)) return step;
        }
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var (head, body) = await ReadRequest(stream);
                var requestLine = head.Split("\r\n")[0].Split(' ');
                var request = new Request(requestLine[0], requestLine[1], requestLine[2], body);
                Requests.Enqueue(request);
                var step = Next(request.Path);
                if (step.Delay > TimeSpan.Zero) await Task.Delay(step.Delay, _stop.Token);
                if (step.Drop) return; // closed after reading the request: "The response ended prematurely"
                var bytes = Encoding.UTF8.GetBytes(step.Body);
                var reason = step.Status switch { 200 => "OK", 403 => "Forbidden", 404 => "Not Found", 500 => "Internal Server Error", 503 => "Service Unavailable", _ => "Status" };
                // HTTP/1.0 the old way: no length, the body ends when the connection closes.
                var headers = _version == "1.0"
                    ? $"HTTP/1.0 {step.Status} {reason}\r\nContent-Type: application/json\r\n\r\n"
                    : $"HTTP/1.1 {step.Status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(headers));
                await stream.WriteAsync(bytes);
                await stream.FlushAsync();
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        }
    }

    private static async Task<(string Head, string Body)> ReadRequest(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!EndsWithBlankLine(buffer))
        {
            if (await stream.ReadAsync(one) == 0) throw new IOException("client closed before the request ended");
            buffer.Add(one[0]);
        }
        var head = Encoding.ASCII.GetString(buffer.ToArray());
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = lengthLine is null ? 0 : int.Parse(lengthLine.Split(':', 2)[1].Trim());
        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
        return (head, Encoding.UTF8.GetString(body));
    }

    private static bool EndsWithBlankLine(List<byte> b) =>
        b.Count >= 4 && b[^4] == '\r' && b[^3] == '\n' && b[^2] == '\r' && b[^1] == '\n';

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
