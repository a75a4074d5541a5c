namespace BackupTools.Core.Storage;

/// <summary>Exponential backoff with jitter for transient storage errors (<see cref="StoreUnavailableException"/>).</summary>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    public static RetryPolicy Default { get; } = new(5, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(8));
    public static RetryPolicy None { get; } = new(1, TimeSpan.Zero, TimeSpan.Zero);

    public TimeSpan DelayBefore(int attempt)
    {
        // attempt 2 waits FirstDelay, then doubling, capped; ±25% jitter so parallel writers spread out.
        var baseMs = Math.Min(MaxDelay.TotalMilliseconds, FirstDelay.TotalMilliseconds * Math.Pow(2, attempt - 2));
        return TimeSpan.FromMilliseconds(baseMs * (0.75 + Random.Shared.NextDouble() * 0.5));
    }

    public T Run<T>(Func<T> action, CancellationToken cancel = default, Action<StoreUnavailableException>? onRetry = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return action();
            }
            catch (StoreUnavailableException e) when (attempt < MaxAttempts)
            {
                onRetry?.Invoke(e);
                if (cancel.WaitHandle.WaitOne(DelayBefore(attempt + 1))) cancel.ThrowIfCancellationRequested();
            }
        }
    }

    public void Run(Action action, CancellationToken cancel = default) => Run(() => { action(); return 0; }, cancel);
}
