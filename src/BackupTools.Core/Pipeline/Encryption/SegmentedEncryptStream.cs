using System.Security.Cryptography;

namespace BackupTools.Core.Pipeline.Encryption;

/// <summary>
/// Write-only AES-256-GCM encryption in fixed-size authenticated segments (see SegmentFormat). Holds one
/// segment of plaintext; a full segment is sealed only when more data arrives, so the last one can carry
/// the final flag. Dispose writes the final segment (possibly empty) — truncation is therefore detectable.
/// </summary>
public sealed class SegmentedEncryptStream : WriteOnlyStream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly AesGcm _aes;
    private readonly byte[] _header;
    private readonly byte[] _noncePrefix = RandomNumberGenerator.GetBytes(SegmentFormat.NoncePrefixSize);
    private readonly byte[] _plain;
    private readonly byte[] _sealed;
    private readonly byte[] _nonce = new byte[12];
    private int _buffered;
    private uint _counter;
    private bool _headerWritten;
    private bool _completed;

    public SegmentedEncryptStream(Stream inner, ReadOnlySpan<byte> dataKey, string keyId, int segmentSize = 65536, bool leaveOpen = false)
    {
        if (dataKey.Length != 32) throw new ArgumentException("AES-256 needs a 32-byte key", nameof(dataKey));
        if (segmentSize < SegmentFormat.MinSegmentSize || segmentSize > SegmentFormat.MaxSegmentSize) throw new ArgumentOutOfRangeException(nameof(segmentSize));
        _inner = inner;
        _leaveOpen = leaveOpen;
        _aes = new AesGcm(dataKey, SegmentFormat.TagSize);
        _header = SegmentFormat.BuildHeader(segmentSize, _noncePrefix, keyId);
        _plain = new byte[segmentSize];
        _sealed = new byte[segmentSize + SegmentFormat.TagSize];
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> data)
    {
        if (_completed) throw new ObjectDisposedException(nameof(SegmentedEncryptStream));
        EnsureHeader();
        while (!data.IsEmpty)
        {
            if (_buffered == _plain.Length) Seal(final: false);
            var n = Math.Min(data.Length, _plain.Length - _buffered);
            data[..n].CopyTo(_plain.AsSpan(_buffered));
            _buffered += n;
            data = data[n..];
        }
    }

    /// <summary>Writes the final segment; called by Dispose.</summary>
    public void Complete()
    {
        if (_completed) return;
        EnsureHeader();
        Seal(final: true);
        _completed = true;
        _inner.Flush();
    }

    private void EnsureHeader()
    {
        if (_headerWritten) return;
        _inner.Write(_header);
        _headerWritten = true;
    }

    private void Seal(bool final)
    {
        if (_counter == uint.MaxValue) throw new IOException("Too many segments for one encrypted stream.");
        SegmentFormat.Nonce(_nonce, _noncePrefix, _counter++, final);
        var ciphertext = _sealed.AsSpan(0, _buffered);
        var tag = _sealed.AsSpan(_buffered, SegmentFormat.TagSize);
        _aes.Encrypt(_nonce, _plain.AsSpan(0, _buffered), ciphertext, tag, _header);
        _inner.Write(_sealed, 0, _buffered + SegmentFormat.TagSize);
        _buffered = 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try { Complete(); }
            finally
            {
                _aes.Dispose();
                CryptographicOperations.ZeroMemory(_plain);
                if (!_leaveOpen) _inner.Dispose();
            }
        }
        base.Dispose(disposing);
    }

    public override bool CanWrite => !_completed;
}
