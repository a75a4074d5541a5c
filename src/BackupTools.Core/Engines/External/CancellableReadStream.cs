using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.External;

/// <summary>
/// A read-only view of a stream that stops when cancelled (plain CopyTo never checks a token) and reports
/// its own read failures as BackupObjectReadFailed, so a caller writing the data to local disk can tell a
/// failing source from a full disk.
/// </summary>
public sealed class CancellableReadStream(Stream inner, CancellationToken cancel) : Stream
{
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        cancel.ThrowIfCancellationRequested();
        try { return inner.Read(buffer); }
        catch (IOException e)
        {
            throw new BackupToolsException("BackupObjectReadFailed", FailureKind.ResourceBusy, $"Reading the backup's data failed: {e.Message}",
                "Check that the repository is reachable and run again.", e);
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
