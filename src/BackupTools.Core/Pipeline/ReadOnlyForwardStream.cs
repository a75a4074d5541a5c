namespace BackupTools.Core.Pipeline;

/// <summary>
/// Base for streams read once, front to back (decoders, network bodies, read-through guards): everything except
/// reading is "not supported", so a subclass states only what it does. A subclass that can tell its length or how
/// far it has read overrides the getter of <see cref="Length"/> or <see cref="Position"/>; setting Position still throws.
/// </summary>
public abstract class ReadOnlyForwardStream : Stream
{
    public abstract override int Read(Span<byte> buffer);
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public sealed override bool CanRead => true;
    public sealed override bool CanSeek => false;
    public sealed override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public sealed override void SetLength(long value) => throw new NotSupportedException();
    public sealed override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
