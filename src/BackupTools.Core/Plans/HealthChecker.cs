using System.Diagnostics;
using System.Net.Sockets;
using BackupTools.Core.Engines.External;

namespace BackupTools.Core.Plans;

/// <summary>Runs a plan's health checks: a shell command (exit 0), an HTTP GET (2xx) or a TCP connect, each with its timeout.</summary>
public static class HealthChecker
{
    /// <summary>Runs one check; a command check gets <paramref name="environment"/> (BACKUPTOOLS_SITE, BACKUPTOOLS_CELL).</summary>
    public static HealthCheckResult Run(PlanHealthCheck check, IReadOnlyDictionary<string, string>? environment, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var (passed, detail) = check switch
            {
                { Command: { } command } => Command(command, check.Timeout, environment, cancel),
                { Http: { } url } => Http(url, check.Timeout, cancel),
                _ => Tcp(check.Tcp!, check.Timeout, cancel),
            };
            return new HealthCheckResult(check.Name, passed, detail, clock.Elapsed);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            return new HealthCheckResult(check.Name, false, e is OperationCanceledException ? $"timed out after {check.Timeout.TotalSeconds:0} s" : e.Message, clock.Elapsed);
        }
    }

    private static (bool, string) Command(string command, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, CancellationToken cancel)
    {
        var result = ShellCommand.Run(command, timeout, cancel, environment);
        if (result.TimedOut) return (false, $"timed out after {timeout.TotalSeconds:0} s");
        return (result.ExitCode == 0, $"exit {result.ExitCode}{(result.Output.Length > 0 ? ": " + Tail(result.Output) : "")}");
    }

    private static (bool, string) Http(string url, TimeSpan timeout, CancellationToken cancel)
    {
        using var client = new HttpClient { Timeout = timeout };
        using var response = client.GetAsync(url, cancel).GetAwaiter().GetResult();
        return (response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode}");
    }

    private static (bool, string) Tcp(string endpoint, TimeSpan timeout, CancellationToken cancel)
    {
        var colon = endpoint.LastIndexOf(':');
        using var client = new TcpClient();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout);
        client.ConnectAsync(endpoint[..colon], int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), limit.Token).AsTask().GetAwaiter().GetResult();
        return (true, $"connected to {endpoint}");
    }

    private static string Tail(string text)
    {
        var last = text.Trim().Split('\n').Last().Trim();
        return last.Length > 200 ? last[..200] : last;
    }
}
