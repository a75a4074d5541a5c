namespace BackupTools.Core.Pipeline;

/// <summary>What every write-only pipeline stage answers the same way: no reading, seeking, length or position; Flush
/// does nothing (a stage's tail is written by its Dispose). Each stage says itself whether it can still be written.</summary>
public abstract class WriteOnlyStream : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
