using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace BackupTools.Tests.Alerts;

/// <summary>A real HTTP listener on loopback that records every POST and answers with a fixed status and body.</summary>
public sealed class WebhookSink : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly int _status;
    private readonly string _answer;

    public WebhookSink(int status = 200, string answer = "{\"errcode\":0,\"errmsg\":\"ok\"}")
    {
        _status = status;
        _answer = answer;
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(Serve);
    }

    public int Port { get; }
    public ConcurrentQueue<(string PathAndQuery, string ContentType, JsonNode Body)> Requests { get; } = new();
    public string Url(string pathAndQuery) => $"http://127.0.0.1:{Port}{pathAndQuery}";

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
                Requests.Enqueue((context.Request.RawUrl ?? "", context.Request.ContentType ?? "", JsonNode.Parse(await reader.ReadToEndAsync())!));
            var bytes = Encoding.UTF8.GetBytes(_answer);
            context.Response.StatusCode = _status;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public (string PathAndQuery, string ContentType, JsonNode Body) Single() => Assert.Single(Requests);

    public void Dispose() => _listener.Close();
}
