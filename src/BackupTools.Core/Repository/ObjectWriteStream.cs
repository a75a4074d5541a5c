using BackupTools.Core.Pipeline.Hashing;

namespace BackupTools.Core.Repository;

/// <summary>
/// The write side of the pipeline for one object: raw hash → the repository's sink (format 1: compress → encrypt →
/// stored hash → store; format 2: chunk → pack). Complete() flushes every stage in order and commits the object;
/// Dispose() alone discards it.
/// </summary>
public sealed class ObjectWriteStream : Stream
{
    private readonly IObjectSink _sink;
    private readonly HashingStream _raw;
    private readonly Action<ManifestObject> _onCommitted;
    private bool _done;

    internal ObjectWriteStream(IObjectSink sink, Action<ManifestObject> onCommitted)
    {
        _sink = sink;
        _onCommitted = onCommitted;
        _raw = new HashingStream(sink.Input, leaveOpen: false);
    }

    public long RawBytes => _raw.BytesCounted;

    public ManifestObject Complete()
    {
        if (_done) throw new InvalidOperationException("object already completed");
        _raw.Dispose(); // cascades: final compressed frame / last chunk, final encrypted segment, stored hash
        var info = _sink.Commit(_raw.BytesCounted, _raw.HashHex);
        _sink.Dispose();
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
            _sink.Dispose();
            _done = true;
        }
        base.Dispose(disposing);
    }
}
