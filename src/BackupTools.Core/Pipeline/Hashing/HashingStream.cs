using System.Security.Cryptography;

namespace BackupTools.Core.Pipeline.Hashing;

/// <summary>
/// Pass-through stream that SHA-256-hashes and counts every byte going through it, in either direction.
/// Disposing it disposes the inner stream unless leaveOpen.
/// </summary>
public sealed class HashingStream(Stream inner, bool leaveOpen = false) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private string? _hex;

    public long BytesCounted { get; private set; }

    /// <summary>Lower-case hex SHA-256 of everything seen; finalises the hash (call once, after the last byte).</summary>
    public string HashHex => _hex ??= Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();

    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesCounted; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Observe(buffer[..n]);
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Observe(buffer);
        inner.Write(buffer);
    }

    private void Observe(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        _hash.AppendData(bytes);
        BytesCounted += bytes.Length;
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (!leaveOpen) inner.Dispose();
            _hex ??= Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant(); // keep HashHex readable after Dispose
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
