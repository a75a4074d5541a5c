using Amazon.S3.Model;
using BackupTools.Core.Pipeline;

namespace BackupTools.Core.Storage.S3;

/// <summary>
/// Reads an object with one streaming GET; if the connection drops mid-way the read resumes with a
/// ranged GET from the current position (pinned to the first ETag, so a replaced object is not mixed in).
/// The open's cancellation token stays with the stream: a cancel aborts a read in flight (a slow or stalled GET)
/// and stops the resume, instead of waiting out the object or the SDK's read timeout.
/// </summary>
internal sealed class S3ReadStream : ReadOnlyForwardStream
{
    private readonly S3BackupStore _store;
    private readonly string _key;
    private readonly long _length;
    private readonly string _etag;
    private GetObjectResponse _response;
    private Stream _body;
    private long _position;
    private readonly CancellationToken _cancel;
    private readonly CancellationTokenRegistration _abortOnCancel;

    private S3ReadStream(S3BackupStore store, string key, GetObjectResponse first, CancellationToken cancel)
    {
        _store = store;
        _key = key;
        _cancel = cancel;
        _response = first;
        _body = first.ResponseStream;
        _length = first.ContentLength;
        _etag = first.ETag;
        _abortOnCancel = cancel.Register(() =>
        {
            try { _body.Dispose(); } catch (Exception) { /* the reader sees the cancel */ }
        });
    }

    /// <summary>One attempt: retrying the open is the RetryingBackupStore's job; resuming mid-stream is ours.</summary>
    public static S3ReadStream Open(S3BackupStore store, string key, CancellationToken cancel) => new(store, key, Get(store, key, null, null, cancel), cancel);

    private static GetObjectResponse Get(S3BackupStore store, string key, long? from, string? etag, CancellationToken cancel = default) =>
        store.Call(key, () => store.Client.GetObjectAsync(new GetObjectRequest
        {
            BucketName = store.Target.Bucket,
            Key = store.Target.KeyOf(key),
            ByteRange = from is null ? null : new ByteRange(from.Value, long.MaxValue),
            EtagToMatch = etag,
        }, cancel), cancel);

    public override long Length => _length;
    public override long Position => _position;

    public override int Read(Span<byte> buffer)
    {
        for (var attempt = 1; ; attempt++)
        {
            _cancel.ThrowIfCancellationRequested();
            try
            {
                var n = _body.Read(buffer);
                if (n == 0 && _position < _length) throw new IOException("connection closed before the end of the object");
                _position += n;
                return n;
            }
            catch (Exception e) when (_cancel.IsCancellationRequested && e is IOException or ObjectDisposedException)
            {
                throw new OperationCanceledException($"reading '{_key}' was cancelled at byte {_position}", e, _cancel);
            }
            catch (IOException) when (attempt < _store.PartRetry.MaxAttempts)
            {
                _cancel.WaitHandle.WaitOne(_store.PartRetry.DelayBefore(attempt + 1));
                _cancel.ThrowIfCancellationRequested();
                Reopen();
            }
            catch (IOException e)
            {
                throw new StoreUnavailableException($"{_store.Target.EndpointDisplay}, bucket '{_store.Target.Bucket}'",
                    $"reading '{_key}' failed at byte {_position} of {_length} ({e.Message})", e);
            }
        }
    }

    private void Reopen()
    {
        _response.Dispose();
        try
        {
            _response = Get(_store, _key, _position, _etag, _cancel);
            _body = _response.ResponseStream;
        }
        catch (StoreUnavailableException)
        {
            // Leave a dead body behind: the next Read fails and retries until attempts run out.
            _body = new ThrowingStream();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _abortOnCancel.Dispose();
            _response.Dispose();
        }
        base.Dispose(disposing);
    }

    private sealed class ThrowingStream : MemoryStream
    {
        public override int Read(Span<byte> buffer) => throw new IOException("storage unavailable");
    }
}
