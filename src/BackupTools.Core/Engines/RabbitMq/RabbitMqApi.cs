using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.RabbitMq;

/// <summary>
/// The few management API calls the engine needs: definitions export/import (whole broker or one vhost), vhost
/// create/delete, overview. The password goes only into the Authorization header; errors name the URL, never it.
/// </summary>
public sealed class RabbitMqApi : IDisposable
{
    private readonly HttpClient _http;
    private readonly RabbitMqTarget _target;

    public RabbitMqApi(RabbitMqTarget target)
    {
        _target = target;
        _http = new HttpClient { BaseAddress = new Uri(target.ManagementUrl.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(5) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{target.User}:{target.Password}")));
    }

    public static string DefinitionsPath(string? vhost) => vhost is null ? "api/definitions" : "api/definitions/" + Uri.EscapeDataString(vhost);

    public byte[] Get(string path, CancellationToken cancel) => Send(HttpMethod.Get, path, null, cancel);

    public JsonObject GetObject(string path, CancellationToken cancel) =>
        JsonNode.Parse(Get(path, cancel)) as JsonObject ?? throw Unexpected(path, "not a JSON object");

    public void Post(string path, byte[] json, CancellationToken cancel) => Send(HttpMethod.Post, path, json, cancel);

    public void Put(string path, byte[] json, CancellationToken cancel) => Send(HttpMethod.Put, path, json, cancel);

    public void Delete(string path, CancellationToken cancel) => Send(HttpMethod.Delete, path, null, cancel);

    private byte[] Send(HttpMethod method, string path, byte[]? body, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body != null) request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        HttpResponseMessage response;
        try { response = _http.Send(request, cancel); }
        catch (HttpRequestException e)
        {
            throw new BackupToolsException("RabbitMqUnreachable", FailureKind.ResourceBusy, $"Cannot reach the RabbitMQ management API at {_target.Describe()} ({e.Message}).",
                "Check -ManagementUrl, that the broker runs and that the rabbitmq_management plugin is enabled.", e);
        }
        catch (TaskCanceledException e) when (!cancel.IsCancellationRequested)
        {
            throw new BackupToolsException("RabbitMqUnreachable", FailureKind.ResourceBusy, $"The RabbitMQ management API at {_target.Describe()} did not answer in time.", null, e);
        }
        using (response)
        {
            var bytes = response.Content.ReadAsByteArrayAsync(cancel).GetAwaiter().GetResult();
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                throw new BackupToolsException("RabbitMqAuthenticationFailed", FailureKind.AuthenticationFailure,
                    $"RabbitMQ at {_target.Describe()} rejected the credentials of user '{_target.User}'.", "Check -Credential; the user needs the administrator tag to export users and import definitions.");
            if (response.StatusCode == HttpStatusCode.NotFound && path.StartsWith("api/definitions/", StringComparison.Ordinal))
                throw new BackupToolsException("RabbitMqVhostNotFound", FailureKind.NotFound, $"RabbitMQ at {_target.Describe()} has no vhost '{Uri.UnescapeDataString(path["api/definitions/".Length..])}'.", "Check -Vhost (list them in the management UI or with rabbitmqctl list_vhosts).");
            if (!response.IsSuccessStatusCode)
                throw Unexpected(path, $"{(int)response.StatusCode} {response.ReasonPhrase}: {Truncate(Encoding.UTF8.GetString(bytes))}");
            return bytes;
        }
    }

    private BackupToolsException Unexpected(string path, string detail) =>
        new("RabbitMqApiFailed", FailureKind.ExternalToolFailure, $"RabbitMQ at {_target.Describe()} answered /{path} with {detail}.");

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500] + "…";

    public void Dispose() => _http.Dispose();
}
