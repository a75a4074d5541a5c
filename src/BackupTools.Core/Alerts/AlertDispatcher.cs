using System.Diagnostics;
using BackupTools.Core.Operations;

namespace BackupTools.Core.Alerts;

/// <summary>
/// Sends one batch to every channel at once and writes the alert log. A channel that fails becomes a
/// failed AlertResult with its secrets cut out of the reason; it never stops the other channels or the log.
/// </summary>
public sealed class AlertDispatcher(IOperationObserver observer)
{
    /// <param name="timeout">Per channel, for the whole exchange: a service that stops answering must not hold the run.</param>
    public IReadOnlyList<AlertResult> Send(AlertBatch batch, IReadOnlyList<IAlertChannel> channels, string logPath, TimeSpan timeout, CancellationToken cancel)
    {
        var sends = channels.Select(c => Task.Run(() => SendOne(c, batch, timeout, cancel), CancellationToken.None)).ToArray();
        Task.WaitAll(sends, CancellationToken.None);
        var results = sends.Select(t => t.Result).ToList();
        foreach (var r in results)
            observer.Verbose($"Alert channel {r.Channel} ({r.Target}): {(r.Sent ? "sent" : "failed")} in {r.Duration.TotalMilliseconds:0} ms");
        results.Add(WriteLog(batch, results, logPath));
        return results;
    }

    private static async Task<AlertResult> SendOne(IAlertChannel channel, AlertBatch batch, TimeSpan timeout, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        string? error = null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        try
        {
            await channel.SendAsync(batch, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            error = $"no answer within {timeout.TotalSeconds:0.#} s";
        }
        catch (Exception e)
        {
            error = channel.Redactor.Redact(Describe(e));
        }
        return new AlertResult
        {
            Channel = channel.Kind, Target = channel.Target, Sent = error is null, Error = error,
            Events = batch.Events.Count, Failures = batch.FailedCount, Duration = clock.Elapsed,
        };
    }

    private AlertResult WriteLog(AlertBatch batch, IReadOnlyList<AlertResult> results, string logPath)
    {
        var clock = Stopwatch.StartNew();
        string? error = null;
        try
        {
            AlertLog.Append(logPath, batch, results);
        }
        catch (Exception e)
        {
            // Any failure of the log is reported like a channel's; the alerts already went out.
            error = e.Message;
        }
        return new AlertResult
        {
            Channel = "Log", Target = logPath, Sent = error is null, Error = error,
            Events = batch.Events.Count, Failures = batch.FailedCount, Duration = clock.Elapsed,
        };
    }

    /// <summary>The exception chain in one line: "connection refused" often sits two levels down.</summary>
    private static string Describe(Exception e)
    {
        if (e is OperationCanceledException) return "cancelled";
        var parts = new List<string>();
        for (var x = e; x != null; x = x.InnerException)
            if (!parts.Contains(x.Message)) parts.Add(x.Message);
        return string.Join(" → ", parts);
    }
}
