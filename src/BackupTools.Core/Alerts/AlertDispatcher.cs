using System.Diagnostics;
using BackupTools.Core.Operations;

namespace BackupTools.Core.Alerts;

/// <summary>
/// Sends one batch to every channel at once and writes the alert log. A channel that fails becomes a
/// failed AlertResult with its secrets cut out of the reason; it never stops the other channels or the log.
/// Transient failures (a dropped connection, HTTP 5xx/408/429, SMTP 4xx) are tried again with backoff, as long as
/// the channel's timeout allows.
/// </summary>
public sealed class AlertDispatcher(IOperationObserver observer, AlertRetry? retry = null)
{
    private readonly AlertRetry _retry = retry ?? AlertRetry.Default;

    /// <param name="timeout">Per channel, for all its tries: a service that stops answering must not hold the run.</param>
    public IReadOnlyList<AlertResult> Send(AlertBatch batch, IReadOnlyList<IAlertChannel> channels, string logPath, TimeSpan timeout, CancellationToken cancel)
    {
        var names = UniqueNames(channels);
        var sends = channels.Select((c, i) => Task.Run(() => SendOne(c, names[i], batch, timeout, cancel), CancellationToken.None)).ToArray();
        Task.WaitAll(sends, CancellationToken.None);
        var results = sends.Select(t => t.Result).ToList();
        foreach (var r in results)
            observer.Verbose($"Alert channel {r.Name} ({r.Target}): {(r.Sent ? "sent" : "failed")} after {r.Tries} {(r.Tries == 1 ? "try" : "tries")} in {r.Duration.TotalMilliseconds:0} ms");
        results.Add(WriteLog(batch, results, logPath));
        return results;
    }

    /// <summary>Each channel's Name, made unique ("#2" appended) so no outcome overwrites another in the log.</summary>
    private static string[] UniqueNames(IReadOnlyList<IAlertChannel> channels)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Log" };
        return channels.Select(c =>
        {
            var name = string.IsNullOrWhiteSpace(c.Name) ? c.Kind : c.Name;
            var unique = name;
            for (var n = 2; !seen.Add(unique); n++) unique = $"{name}#{n}";
            return unique;
        }).ToArray();
    }

    private async Task<AlertResult> SendOne(IAlertChannel channel, string name, AlertBatch batch, TimeSpan timeout, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        string? error = null;
        var tries = 0;
        while (true)
        {
            tries++;
            try
            {
                await channel.SendAsync(batch, deadline.Token).ConfigureAwait(false);
                error = null;
                break;
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                error = $"no answer within {timeout.TotalSeconds:0.#} s" + (error is null ? "" : $" (try {tries}; the one before: {error})");
                break;
            }
            catch (Exception e)
            {
                error = channel.Redactor.Redact(Describe(e));
                var wait = _retry.DelayBefore(tries + 1);
                if (!AlertRetry.IsTransient(e) || tries >= _retry.MaxTries || clock.Elapsed + wait >= timeout || cancel.IsCancellationRequested) break;
                observer.Verbose($"Alert channel {name}: try {tries} failed ({error}); trying again in {wait.TotalSeconds:0.#} s");
                try { await Task.Delay(wait, deadline.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
            }
        }
        return new AlertResult
        {
            Name = name, Channel = channel.Kind, Target = channel.Target, Sent = error is null, Error = error, Tries = tries,
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
            Name = "Log", Channel = "Log", Target = logPath, Sent = error is null, Error = error,
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
