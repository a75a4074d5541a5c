using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Pipeline.Hashing;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>
/// The write side of the pipeline for one object: raw hash → compress → encrypt → stored hash → store.
/// Complete() flushes every stage in order and commits the object; Dispose() alone discards it.
/// </summary>
public sealed class ObjectWriteStream : Stream
{
    private readonly PendingObject _pending;
    private readonly HashingStream _stored;
    private readonly HashingStream _raw;
    private readonly Action<ManifestObject> _onCommitted;
    private bool _done;

    internal ObjectWriteStream(PendingObject pending, CompressionSettings compression, byte[]? dataKey, string? keyId,
        int segmentSize, Action<ManifestObject> onCommitted)
    {
        _pending = pending;
        _onCommitted = onCommitted;
        _stored = new HashingStream(pending, leaveOpen: true);
        Stream encrypted = dataKey is null ? _stored : new SegmentedEncryptStream(_stored, dataKey, keyId!, segmentSize, leaveOpen: false);
        var compressed = CompressionCodec.Compress(encrypted, compression, leaveOpen: false);
        _raw = new HashingStream(compressed, leaveOpen: false);
    }

    public long RawBytes => _raw.BytesCounted;

    public ManifestObject Complete()
    {
        if (_done) throw new InvalidOperationException("object already completed");
        _raw.Dispose(); // cascades: final compressed frame, final encrypted segment, stored hash
        var info = new ManifestObject
        {
            Key = _pending.Key,
            RawBytes = _raw.BytesCounted,
            RawSha256 = _raw.HashHex,
            StoredBytes = _stored.BytesCounted,
            Sha256 = _stored.HashHex,
        };
        _pending.Commit();
        _pending.Dispose();
        _done = true;
        _onCommitted(info);
        return info;
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _raw.BytesCounted; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => _raw.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => _raw.Write(buffer);

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_done)
        {
            try { _raw.Dispose(); } catch (Exception) { /* the object is being discarded anyway */ }
            _pending.Dispose();
            _done = true;
        }
        base.Dispose(disposing);
    }
}
