using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace BackupTools.Core.Pipeline;

/// <summary>
/// Write-only stage boundary: the caller's bytes are copied into pooled buffers and one pipeline thread of its own
/// writes them to the inner stream in order, so the caller's work (reading the source, the raw hash, feeding zstd)
/// overlaps with the inner stream's (encryption, the stored hash, the store write). Memory stays bounded: at most
/// <see cref="Depth"/> full buffers wait, and a caller that gets ahead blocks (back-pressure). A failure on the pipeline
/// thread is rethrown as it was by the caller's next Write or by Dispose, so it becomes the backup's error; Dispose
/// writes what is left, waits for the thread, then disposes the inner stream. <see cref="Abandon"/> stops the thread
/// without writing what waits. The thread starts with the second buffer: an object smaller than one buffer is
/// written on the caller's thread at Dispose (WAL and binlog batches, indexes) and costs no thread.
/// </summary>
public sealed class BackgroundWriteStream(Stream inner, bool leaveOpen = false) : WriteOnlyStream
{
    internal const int BufferSize = 1 << 20;
    internal const int Depth = 4;

    private readonly BlockingCollection<(byte[] Buffer, int Length)> _queue = new(boundedCapacity: Depth);
    private readonly CancellationTokenSource _stop = new();
    private Task? _worker;
    private volatile ExceptionDispatchInfo? _error;
    private byte[]? _current;
    private int _filled;
    private bool _closed;

    /// <summary>True once the pipeline thread has started (tests prove large streams really overlap).</summary>
    internal bool UsedPipelineThread => _worker is not null;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        _error?.Throw();
        while (!data.IsEmpty)
        {
            _current ??= ArrayPool<byte>.Shared.Rent(BufferSize);
            var n = Math.Min(data.Length, _current.Length - _filled);
            data[..n].CopyTo(_current.AsSpan(_filled));
            _filled += n;
            data = data[n..];
            if (_filled == _current.Length) HandOff();
        }
    }

    /// <summary>Queues the current buffer for the pipeline thread (started on first use); blocks while <see cref="Depth"/> wait.</summary>
    private void HandOff()
    {
        var item = (_current!, _filled);
        _current = null;
        _filled = 0;
        _worker ??= Task.Factory.StartNew(WriteQueued, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            _queue.Add(item, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            ArrayPool<byte>.Shared.Return(item.Item1);
            _error?.Throw();
            throw new ObjectDisposedException(nameof(BackgroundWriteStream), "the pipeline was abandoned");
        }
    }

    private void WriteQueued()
    {
        try
        {
            foreach (var (buffer, length) in _queue.GetConsumingEnumerable(_stop.Token))
            {
                try { inner.Write(buffer, 0, length); }
                finally { ArrayPool<byte>.Shared.Return(buffer); }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { /* abandoned, or the caller already has the error */ }
        catch (Exception e)
        {
            _error = ExceptionDispatchInfo.Capture(e);
            _stop.Cancel(); // wakes a caller blocked on a full queue
        }
    }

    /// <summary>Stops the pipeline thread without writing what waits (the object is being discarded). Idempotent.</summary>
    public void Abandon()
    {
        if (_closed) return;
        _closed = true;
        _stop.Cancel();
        Release();
        if (!leaveOpen) try { inner.Dispose(); } catch (Exception) { /* discarded anyway */ }
    }

    /// <summary>Writes the last partial buffer (on the pipeline thread if it runs, else here), then waits for the thread.</summary>
    private void Drain()
    {
        _error?.Throw();
        if (_worker is null)
        {
            if (_filled > 0) inner.Write(_current!, 0, _filled);
        }
        else if (_filled > 0) HandOff();
        _queue.CompleteAdding();
        _worker?.Wait();
        _error?.Throw();
    }

    /// <summary>Joins the thread (it never throws: failures are kept in _error) and returns every pooled buffer.</summary>
    private void Release()
    {
        _queue.CompleteAdding();
        _worker?.Wait();
        while (_queue.TryTake(out var left)) ArrayPool<byte>.Shared.Return(left.Buffer);
        if (_current is not null) ArrayPool<byte>.Shared.Return(_current);
        _current = null;
        _queue.Dispose();
        _stop.Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_closed)
        {
            _closed = true;
            ExceptionDispatchInfo? failure = null;
            try { Drain(); }
            catch (Exception e) { failure = ExceptionDispatchInfo.Capture(e); _stop.Cancel(); }
            finally { Release(); }
            // The inner stream's close writes its tail (the final encrypted segment); after a failure only its resources matter.
            if (!leaveOpen)
            {
                try { inner.Dispose(); }
                catch (Exception) when (failure is not null) { /* the first failure is the one to report */ }
            }
            failure?.Throw();
        }
        base.Dispose(disposing);
    }

    public override bool CanWrite => !_closed;
}
