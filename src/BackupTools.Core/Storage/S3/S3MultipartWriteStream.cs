using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Storage.S3;

/// <summary>
/// Streams an object of any size to S3 holding at most two part buffers: one filling while the previous
/// part uploads. A failed part is retried with backoff from its buffer (the object is not restarted).
/// Each part carries its SHA-256; after completion the checksum the server reports is compared with ours.
/// Objects smaller than one part go up as a single PUT. Dispose without Commit aborts the upload.
/// </summary>
public sealed class S3MultipartWriteStream : PendingObject
{
    private const int MaxParts = 10_000;
    private readonly S3BackupStore _store;
    /// <summary>The writing operation's token: parts and completion stop on it; the abort on dispose does not.</summary>
    private readonly CancellationToken _cancel;
    private readonly List<PartETag> _parts = [];
    private readonly List<byte[]> _partHashes = [];
    private byte[] _fill;
    private int _fillCount;
    private byte[]? _spare;
    private Task<PartETag>? _inFlight;
    private byte[]? _inFlightBuffer;
    private string? _uploadId;
    private long _length;
    private int _held;
    private bool _committed;
    private Exception? _failure;

    internal S3MultipartWriteStream(S3BackupStore store, string key, CancellationToken cancel = default)
    {
        _store = store;
        _cancel = cancel;
        Key = key;
        _fill = Allocate(PartSizeFor(1));
    }

    public override string Key { get; }

    /// <summary>Most part buffers alive at once during this write (the memory bound: 2 × part size).</summary>
    public int PeakBuffersHeld { get; private set; }

    public int PartsUploaded => _parts.Count;

    /// <summary>Part uploads that failed transiently and were sent again.</summary>
    public int PartRetries => _partRetries;
    private int _partRetries;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_committed) throw new InvalidOperationException("object already committed");
        // After a part failed for good, fail fast: flushing callers must not start new uploads to a dead server.
        if (_failure != null) throw _failure;
        while (buffer.Length > 0)
        {
            var n = Math.Min(buffer.Length, _fill.Length - _fillCount);
            buffer[..n].CopyTo(_fill.AsSpan(_fillCount));
            _fillCount += n;
            _length += n;
            buffer = buffer[n..];
            if (_fillCount == _fill.Length) SendFilledPart();
        }
    }

    public override void Commit()
    {
        if (_committed) return;
        if (_failure != null) throw _failure;
        if (_uploadId is null)
        {
            _store.Put(Key, _fill, ifNoneMatch: false, _fillCount, _cancel);
        }
        else
        {
            if (_fillCount > 0) SendFilledPart();
            WaitForInFlight();
            Complete();
            VerifyStored();
        }
        _committed = true;
        Release();
    }

    private void SendFilledPart()
    {
        _uploadId ??= Start();
        WaitForInFlight();
        var partNumber = _parts.Count + 1;
        if (partNumber > MaxParts)
            throw new BackupToolsException("S3ObjectTooLarge", FailureKind.WriteError,
                $"'{Key}' needs more than {MaxParts} parts at {_store.Location}.", "Raise partSize in the repository URI (e.g. partSize=64MB).");
        var buffer = _fill;
        var count = _fillCount;
        var hash = SHA256.HashData(buffer.AsSpan(0, count));
        _partHashes.Add(hash);
        _inFlightBuffer = buffer;
        _inFlight = Task.Run(() => UploadPart(partNumber, buffer, count, Convert.ToBase64String(hash)));

        var nextSize = PartSizeFor(partNumber + 1);
        _fill = _spare is { } spare && spare.Length == nextSize ? spare : Allocate(nextSize);
        if (_spare != null && !ReferenceEquals(_fill, _spare)) _held--;
        _spare = null;
        _fillCount = 0;
    }

    private void WaitForInFlight()
    {
        if (_inFlight is null) return;
        try
        {
            _parts.Add(_inFlight.GetAwaiter().GetResult());
        }
        catch (Exception e)
        {
            _failure = e;
            throw;
        }
        finally
        {
            _inFlight = null;
            _spare = _inFlightBuffer;
            _inFlightBuffer = null;
        }
    }

    private string Start() => _store.PartRetry.Run(() => _store.Call(Key, () =>
    {
        var request = new InitiateMultipartUploadRequest
        {
            BucketName = _store.Target.Bucket,
            Key = _store.Target.KeyOf(Key),
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
        };
        _store.ApplyWriteOptions(request);
        return _store.Client.InitiateMultipartUploadAsync(request, _cancel);
    }, _cancel).UploadId, _cancel);

    private PartETag UploadPart(int partNumber, byte[] buffer, int count, string sha) => _store.PartRetry.Run(() =>
    {
        var response = _store.Call(Key, () => _store.Client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _store.Target.Bucket,
            Key = _store.Target.KeyOf(Key),
            UploadId = _uploadId,
            PartNumber = partNumber,
            InputStream = new MemoryStream(buffer, 0, count, writable: false),
            PartSize = count,
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            ChecksumSHA256 = sha,
        }, _cancel), _cancel);
        if (response.ChecksumSHA256 is { Length: > 0 } stored && stored != sha)
            throw ChecksumMismatch(_store, $"{Key} part {partNumber}", sha, stored);
        return new PartETag(partNumber, response.ETag) { ChecksumSHA256 = sha };
    }, _cancel, onRetry: _ => Interlocked.Increment(ref _partRetries));

    private void Complete() => _store.PartRetry.Run(() => _store.Call(Key, () => _store.Client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
    {
        BucketName = _store.Target.Bucket,
        Key = _store.Target.KeyOf(Key),
        UploadId = _uploadId,
        PartETags = _parts,
    }, _cancel), _cancel), _cancel);

    /// <summary>
    /// The stored size must be ours; a checksum the server reports (S3: SHA-256 of the part SHA-256s,
    /// "-N" suffixed) must match the one we computed from the bytes we sent.
    /// </summary>
    private void VerifyStored()
    {
        var head = _store.PartRetry.Run(() => _store.Call(Key, () => _store.Client.GetObjectMetadataAsync(new GetObjectMetadataRequest
        {
            BucketName = _store.Target.Bucket,
            Key = _store.Target.KeyOf(Key),
            ChecksumMode = ChecksumMode.ENABLED,
        }, _cancel), _cancel), _cancel);
        if (head.ContentLength != _length)
        {
            TryDelete();
            throw new BackupIntegrityException("S3StoredSizeMismatch",
                $"{_store.Location}: '{Key}' was stored with {head.ContentLength} bytes, {_length} were sent.", "Run the backup again.");
        }
        if (head.ChecksumSHA256 is not { Length: > 0 } stored) return;
        var composite = Convert.ToBase64String(SHA256.HashData(_partHashes.SelectMany(h => h).ToArray()));
        var value = stored.Split('-')[0];
        if (value != composite)
        {
            TryDelete();
            throw ChecksumMismatch(_store, Key, composite, value);
        }
    }

    internal static BackupIntegrityException ChecksumMismatch(S3BackupStore store, string what, string expected, string stored) =>
        new("S3StoredChecksumMismatch",
            $"{store.Location}: '{what}' was stored with SHA-256 {stored}, but the bytes sent hash to {expected}.",
            "The data was damaged in transit or by the server; run the backup again.");

    private void TryDelete()
    {
        try { _store.Delete(Key); } catch (BackupToolsException) { /* reported by the caller's error */ }
    }

    private long PartSizeFor(int partNumber) =>
        // Doubling every 2,000 parts keeps 10,000 parts enough for ~500 GB at 8 MB while memory stays bounded.
        _store.Target.PartSize << Math.Min(4, (partNumber - 1) / 2000);

    private byte[] Allocate(long size)
    {
        _held++;
        PeakBuffersHeld = Math.Max(PeakBuffersHeld, _held);
        return GC.AllocateUninitializedArray<byte>(checked((int)size));
    }

    private void Release()
    {
        _fill = [];
        _spare = null;
        _held = 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_committed)
        {
            try { _inFlight?.Wait(); } catch (Exception) { /* the upload is being abandoned */ }
            _inFlight = null;
            if (_uploadId != null)
            {
                try
                {
                    _store.Call(Key, () => _store.Client.AbortMultipartUploadAsync(_store.Target.Bucket, _store.Target.KeyOf(Key), _uploadId));
                }
                catch (Exception) { /* server gone: a bucket lifecycle rule removes abandoned uploads */ }
            }
            _committed = true;
            Release();
        }
        base.Dispose(disposing);
    }
}
