namespace BackupTools.Core.Engines.External;

/// <summary>Write-through stream that reports the running byte count (for Write-Progress).</summary>
public sealed class ProgressStream(Stream inner, Action<long> report) : Stream
{
    private long _bytes;
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        _bytes += buffer.Length;
        report(_bytes);
    }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _bytes;
    public override long Position { get => _bytes; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
