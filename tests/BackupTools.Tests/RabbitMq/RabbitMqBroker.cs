using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.RabbitMq;

/// <summary>
/// The private test broker scripts/rabbitmq.sh starts (once per test run; idempotent) on BT_RABBITMQ_PORT (default
/// 24672) and its management API, called as the generated admin user.
/// </summary>
public static class RabbitMqBroker
{
    private static readonly Lazy<(string Url, string User, string Password)> Config = new(StartAndRead);

    public static string Url => Config.Value.Url;
    public static string User => Config.Value.User;
    public static string Password => Config.Value.Password;

    private static (string, string, string) StartAndRead()
    {
        var script = Path.Combine(RepoPaths.Root, "scripts", "rabbitmq.sh");
        var log = Path.Combine(Path.GetTempPath(), $"bt-rabbitmq-start-{Environment.ProcessId}.log");
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", "\"$0\" start </dev/null >\"$1\" 2>&1", script, log]))!;
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)) || process.ExitCode != 0)
            throw new InvalidOperationException($"scripts/rabbitmq.sh start failed: {File.ReadAllText(log)}\nOn a dev machine run `scripts/servers.sh install` first.");
        var port = Environment.GetEnvironmentVariable("BT_RABBITMQ_PORT") is { Length: > 0 } p ? p : "24672";
        var dir = Path.Combine(Environment.GetEnvironmentVariable("BACKUPTOOLS_SERVERS_DIR") ?? Path.Combine(RepoPaths.Root, ".servers"), $"rabbitmq-{port}");
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "rabbitmq.json"))).RootElement;
        return (json.GetProperty("managementUrl").GetString()!, json.GetProperty("user").GetString()!, json.GetProperty("password").GetString()!);
    }

    public static HttpClient Client(string? user = null, string? password = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(Url + "/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user ?? User}:{password ?? Password}")));
        return client;
    }

    public static void Put(string path, string json)
    {
        using var client = Client();
        var response = client.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json")).GetAwaiter().GetResult();
        Assert.True(response.IsSuccessStatusCode, $"PUT {path}: {(int)response.StatusCode} {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
    }

    public static void Post(string path, string json)
    {
        using var client = Client();
        var response = client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json")).GetAwaiter().GetResult();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
    }

    public static void Delete(string path)
    {
        using var client = Client();
        client.DeleteAsync(path).GetAwaiter().GetResult();
    }

    public static (int Status, string Body) Get(string path, string? user = null, string? password = null)
    {
        using var client = Client(user, password);
        var response = client.GetAsync(path).GetAwaiter().GetResult();
        return ((int)response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
    }
}
