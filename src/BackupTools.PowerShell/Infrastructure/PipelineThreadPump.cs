using System.Collections.Concurrent;
using BackupTools.Core.Operations;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Runs core work on a worker thread while the cmdlet's pipeline thread does all Write*/ShouldProcess
/// calls (PowerShell allows them only there). The core talks through IOperationObserver and a
/// ShouldProcess delegate; both are queued here and replayed on the pipeline thread.
/// </summary>
internal sealed class PipelineThreadPump : IOperationObserver
{
    private readonly BlockingCollection<Action> _queue = new();
    private readonly object _progressGate = new();
    private (string Activity, string Status, long Done, long? Total)? _latestProgress;
    private DateTime _lastProgressPost = DateTime.MinValue;

    public Action<string, string, long, long?>? OnProgress { get; init; }
    public Action<string>? OnWarning { get; init; }
    public Action<string>? OnVerbose { get; init; }
    public Func<string, string, bool>? OnShouldProcess { get; init; }

    public T Run<T>(Func<IOperationObserver, CancellationToken, T> work, CancellationToken cancel)
    {
        var task = Task.Run(() =>
        {
            try { return work(this, cancel); }
            finally { _queue.CompleteAdding(); }
        }, CancellationToken.None);
        try
        {
            foreach (var action in _queue.GetConsumingEnumerable()) action();
            FlushProgress();
        }
        catch
        {
            // The pipeline is stopping (Write* threw): let the cancelled worker finish its cleanup — temp objects,
            // lock, audit entry — before the cmdlet returns, answering whatever it still posts with failures.
            foreach (var action in _queue.GetConsumingEnumerable())
                try { action(); } catch { /* the pipeline is gone; the worker sees cancellation */ }
            try { task.Wait(); } catch { /* its error is superseded by the stop */ }
            throw;
        }
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Called from the worker; blocks until the pipeline thread answered.</summary>
    public bool ShouldProcess(string target, string action)
    {
        if (OnShouldProcess is null) return true;
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add(() =>
        {
            try { answer.SetResult(OnShouldProcess(target, action)); }
            catch (Exception e) { answer.SetException(e); }
        });
        return answer.Task.GetAwaiter().GetResult();
    }

    /// <summary>Runs user code (a script block) on the pipeline thread for the worker, rethrowing its failure there.</summary>
    public void Invoke(Action action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add(() =>
        {
            try { action(); done.SetResult(); }
            catch (Exception e) { done.SetException(e); }
        });
        done.Task.GetAwaiter().GetResult();
    }

    public void Progress(string activity, string status, long bytesDone, long? bytesTotal)
    {
        // Progress can arrive per buffer; post at most ~5 updates a second.
        lock (_progressGate)
        {
            _latestProgress = (activity, status, bytesDone, bytesTotal);
            if ((DateTime.UtcNow - _lastProgressPost).TotalMilliseconds < 200) return;
            _lastProgressPost = DateTime.UtcNow;
        }
        TryAdd(FlushProgress);
    }

    public void Warning(string message) => TryAdd(() => OnWarning?.Invoke(message));
    public void Verbose(string message) => TryAdd(() => OnVerbose?.Invoke(message));

    private void FlushProgress()
    {
        (string, string, long, long?)? p;
        lock (_progressGate) { p = _latestProgress; _latestProgress = null; }
        if (p is { } v) OnProgress?.Invoke(v.Item1, v.Item2, v.Item3, v.Item4);
    }

    private void TryAdd(Action action)
    {
        if (!_queue.IsAddingCompleted) _queue.Add(action);
    }
}
