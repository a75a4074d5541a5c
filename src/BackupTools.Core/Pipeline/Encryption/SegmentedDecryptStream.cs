using System.Security.Cryptography;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Pipeline.Encryption;

/// <summary>
/// Read side of SegmentedEncryptStream. Reads the header in the constructor (KeyId is then known), and
/// releases a segment's plaintext only after its tag verified. A stream that ends without a final segment,
/// or goes on after it, is an integrity error — as is any flipped or reordered byte.
/// </summary>
public sealed class SegmentedDecryptStream : ReadOnlyForwardStream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly AesGcm _aes;
    private readonly byte[] _header;
    private readonly byte[] _noncePrefix;
    private readonly byte[] _sealed;
    private readonly byte[] _plain;
    private readonly byte[] _nonce = new byte[12];
    private readonly int _segmentSize;
    private int _plainOffset;
    private int _plainLength;
    private uint _counter;
    private bool _finalSeen;
    private int _lookahead = -1;

    public SegmentedDecryptStream(Stream inner, ReadOnlySpan<byte> dataKey, bool leaveOpen = false)
    {
        _inner = inner;
        _leaveOpen = leaveOpen;
        (_header, _segmentSize, _noncePrefix, KeyId) = SegmentFormat.ReadHeader(inner);
        _aes = new AesGcm(dataKey, SegmentFormat.TagSize);
        _sealed = new byte[_segmentSize + SegmentFormat.TagSize];
        _plain = new byte[_segmentSize];
    }

    /// <summary>The key id written in the header (the key-encryption key that wrapped this data key).</summary>
    public string KeyId { get; }

    public override int Read(Span<byte> buffer)
    {
        while (_plainOffset == _plainLength)
        {
            if (_finalSeen) return 0;
            OpenNextSegment();
        }
        var n = Math.Min(buffer.Length, _plainLength - _plainOffset);
        _plain.AsSpan(_plainOffset, n).CopyTo(buffer);
        _plainOffset += n;
        return n;
    }

    private void OpenNextSegment()
    {
        var full = _sealed.Length;
        var got = 0;
        if (_lookahead >= 0) { _sealed[0] = (byte)_lookahead; got = 1; _lookahead = -1; }
        got += SegmentFormat.ReadFully(_inner, _sealed.AsSpan(got, full - got));
        if (got < SegmentFormat.TagSize)
            throw new BackupIntegrityException("EncryptedStreamTruncated", "The encrypted object ends before its final segment (truncated).");
        var final = got < full || (_lookahead = _inner.ReadByte()) < 0;
        var plainLength = got - SegmentFormat.TagSize;
        if (Open(plainLength, final)) { _finalSeen = final; }
        else if (final && Open(plainLength, final: false))
            throw new BackupIntegrityException("EncryptedStreamTruncated", "The encrypted object ends before its final segment (truncated).");
        else if (!final && Open(plainLength, final: true))
            throw new BackupIntegrityException("EncryptedStreamTrailingData", "The encrypted object has bytes after its final segment.");
        else
            throw new BackupIntegrityException("EncryptedSegmentAuthenticationFailed",
                $"Segment {_counter} failed authentication: wrong key or damaged data.",
                "If the key is right, the stored object was altered; use another copy of the backup.");
        _counter++;
        _plainOffset = 0;
        _plainLength = plainLength;
        if (_finalSeen && (_lookahead >= 0 || _inner.ReadByte() >= 0))
            throw new BackupIntegrityException("EncryptedStreamTrailingData", "The encrypted object has bytes after its final segment.");
    }

    private bool Open(int plainLength, bool final)
    {
        SegmentFormat.Nonce(_nonce, _noncePrefix, _counter, final);
        try
        {
            _aes.Decrypt(_nonce, _sealed.AsSpan(0, plainLength), _sealed.AsSpan(plainLength, SegmentFormat.TagSize), _plain.AsSpan(0, plainLength), _header);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
            if (!_leaveOpen) _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
