using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using BackupTools.Core.Pipeline;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Pipeline.Hashing;
using BackupTools.Core.Repository.Chunked;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>
/// Where an object's raw bytes go once ObjectWriteStream has hashed them: one stored object (format 1) or chunks in
/// packs (format 2). Input is disposed by the caller before Commit; Dispose without Commit discards.
/// </summary>
internal interface IObjectSink : IDisposable
{
    Stream Input { get; }
    ManifestObject Commit(long rawBytes, string rawSha256);
}

/// <summary>
/// Format 1: compress → encrypt → stored hash → one pending object under backups/&lt;id&gt;/&lt;role&gt;. Compression runs on
/// the caller's thread (with libzstd's workers); encryption, the stored hash and the store write run on a pipeline
/// thread of their own behind a <see cref="BackgroundWriteStream"/>, so the two halves overlap.
/// </summary>
internal sealed class SingleObjectSink : IObjectSink
{
    private readonly PendingObject _pending;
    private readonly HashingStream _stored;
    private readonly BackgroundWriteStream _handoff;

    public SingleObjectSink(PendingObject pending, CompressionSettings compression, byte[]? dataKey, string? keyId, int segmentSize)
    {
        _pending = pending;
        _stored = new HashingStream(pending, leaveOpen: true);
        Stream encrypted = dataKey is null ? _stored : new SegmentedEncryptStream(_stored, dataKey, keyId!, segmentSize, leaveOpen: false);
        _handoff = new BackgroundWriteStream(encrypted, leaveOpen: false);
        Input = CompressionCodec.Compress(_handoff, compression, leaveOpen: false);
    }

    public Stream Input { get; }

    public ManifestObject Commit(long rawBytes, string rawSha256)
    {
        var info = new ManifestObject
        {
            Key = _pending.Key, RawBytes = rawBytes, RawSha256 = rawSha256,
            StoredBytes = _stored.BytesCounted, Sha256 = _stored.HashHex,
        };
        _pending.Commit();
        return info;
    }

    public void Dispose()
    {
        _handoff.Abandon(); // already closed after Input's Dispose; otherwise its thread must stop before the pending object goes
        _pending.Dispose();
    }
}

/// <summary>
/// Format 2: content-defined chunks into the backup's <see cref="ChunkStoreWriter"/>; the manifest lists their ids.
/// The caller's thread cuts chunks; one worker thread names, compresses, encrypts and stores them in order, so
/// chunking overlaps with the rest (at most two chunks wait in between, in the buffers they were cut in: memory
/// stays bounded, and a chunk is not copied on its way). A worker failure
/// stops the next write and is rethrown as it was.
/// </summary>
internal sealed class ChunkedObjectSink : IObjectSink, IChunkBufferConsumer
{
    private readonly string _key;
    private readonly ChunkStoreWriter _chunks;
    private readonly List<ChunkId> _ids = new();
    private readonly BlockingCollection<(byte[] Buffer, int Length)> _queue = new(boundedCapacity: 2);
    private readonly CancellationTokenSource _failed = new();
    private readonly Task _worker;
    private ExceptionDispatchInfo? _error;
    private long _added;
    private bool _finished;

    public ChunkedObjectSink(string key, ChunkStoreWriter chunks)
    {
        _key = key;
        _chunks = chunks;
        Input = new ChunkingStream(chunks.NewChunker(), this);
        _worker = Task.Factory.StartNew(StoreQueuedChunks, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public Stream Input { get; }

    public void Accept(ReadOnlySpan<byte> chunk)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(chunk.Length, 1));
        chunk.CopyTo(buffer);
        Take(buffer, chunk.Length);
    }

    /// <summary>Queues the chunker's own buffer (no copy); the worker returns it to the pool.</summary>
    public void Take(byte[] buffer, int length)
    {
        try
        {
            _queue.Add((buffer, length), _failed.Token);
        }
        catch (OperationCanceledException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _error?.Throw();
            throw;
        }
    }

    private void StoreQueuedChunks()
    {
        try
        {
            foreach (var (buffer, length) in _queue.GetConsumingEnumerable(_failed.Token))
            {
                try
                {
                    var (id, added) = _chunks.Store(buffer.AsSpan(0, length));
                    _ids.Add(id);
                    _added += added;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (OperationCanceledException) when (_failed.IsCancellationRequested) { /* discarded */ }
        catch (Exception e)
        {
            _error = ExceptionDispatchInfo.Capture(e);
            _failed.Cancel();
        }
    }

    /// <summary>Waits for the worker to store everything queued; rethrows its failure.</summary>
    private void Finish()
    {
        if (_finished) return;
        _finished = true;
        _queue.CompleteAdding();
        _worker.Wait();
        while (_queue.TryTake(out var left)) ArrayPool<byte>.Shared.Return(left.Buffer);
    }

    public ManifestObject Commit(long rawBytes, string rawSha256)
    {
        Finish();
        _error?.Throw();
        return new()
        {
            Key = _key, RawBytes = rawBytes, RawSha256 = rawSha256,
            StoredBytes = _added, Sha256 = ChunkListHash(_ids), Chunks = _ids.Select(id => id.ToString()).ToList(),
        };
    }

    /// <summary>A chunked object's "sha256": SHA-256 of its chunk ids (32 bytes each, in order) — what identifies its stored form.</summary>
    public static string ChunkListHash(IReadOnlyList<ChunkId> ids)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> bytes = stackalloc byte[ChunkId.Size];
        foreach (var id in ids)
        {
            id.WriteTo(bytes);
            hash.AppendData(bytes);
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    public void Dispose()
    {
        if (!_finished) _failed.Cancel(); // discarded: stop storing chunks nobody will reference
        Finish();
        _queue.Dispose();
        _failed.Dispose();
    }
}
