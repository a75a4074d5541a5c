namespace BackupTools.Core.Engines.Command;

/// <summary>
/// Write-only stream that passes everything to the repository object and, as it goes, to the verify command's
/// stdin. A verify command that stops reading early does not stop the backup; its exit code decides.
/// </summary>
internal sealed class TeeToCommand(Stream primary, ShellStream? verifier) : Stream
{
    public long Length64 { get; private set; }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        primary.Write(buffer);
        verifier?.Feed(buffer);
        Length64 += buffer.Length;
    }

    public override void Flush() => primary.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Length64;
    public override long Position { get => Length64; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
