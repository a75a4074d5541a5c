using System.Buffers.Binary;
using System.Security.Cryptography;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Pipeline;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// Streams one pack into the store (see PackFormat): each added chunk is compressed (by the caller's reused
/// <see cref="ChunkCompressor"/>) and encrypted straight into the pending object, so memory stays one chunk. Finish writes the encrypted header and the footer and commits;
/// Dispose without Finish discards the pack.
/// </summary>
internal sealed class PackWriter : IDisposable
{
    private readonly PendingObject _pending;
    private readonly CountingStream _output;
    private readonly CompressionSettings _compression;
    private readonly BackupKey _kek;
    private readonly int _segmentSize;
    private readonly byte[] _dataKey = DataKeys.NewDataKey();
    private readonly List<(ChunkId Id, long Offset, int Length, int RawLength)> _entries = new();
    private bool _done;

    public PackWriter(IBackupStore store, BackupKey kek, CompressionSettings compression, int segmentSize)
    {
        Id = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        _pending = store.OpenWrite(PackFormat.KeyOf(Id));
        _output = new CountingStream(_pending, leaveOpen: true);
        _compression = compression;
        _kek = kek;
        _segmentSize = segmentSize;
    }

    public string Id { get; }
    public long Size => _output.BytesWritten;
    public int Count => _entries.Count;
    public IReadOnlyList<(ChunkId Id, long Offset, int Length, int RawLength)> Entries => _entries;

    /// <summary>Appends a chunk's blob (compressed with the pack's compression by <paramref name="compressor"/>); returns its stored length.</summary>
    public int Add(ChunkId id, ReadOnlySpan<byte> chunk, ChunkCompressor compressor)
    {
        var offset = _output.BytesWritten;
        using (var encrypt = new SegmentedEncryptStream(_output, _dataKey, _kek.Id, _segmentSize, leaveOpen: true))
            encrypt.Write(compressor.Compress(chunk));
        var length = checked((int)(_output.BytesWritten - offset));
        _entries.Add((id, offset, length, chunk.Length));
        return length;
    }

    /// <summary>Writes header and footer, commits the pack, and returns what the index needs to know of it.</summary>
    public PackRef Finish()
    {
        var headerOffset = _output.BytesWritten;
        using (var encrypt = new SegmentedEncryptStream(_output, _dataKey, _kek.Id, _segmentSize, leaveOpen: true))
            encrypt.Write(HeaderPlaintext());
        var wrapped = DataKeyWrapper.Wrap(_kek, _dataKey, PackFormat.DataKeyAssociatedData(Id));
        var algorithm = _compression.Algorithm.ToString().ToLowerInvariant();
        SealedTrailer.Write(_output, new PackFooter
        {
            Id = Id, Compression = algorithm, KeyId = _kek.Id, WrappedKey = wrapped,
            HeaderOffset = headerOffset, HeaderLength = _output.BytesWritten - headerOffset,
        }, PackFormat.Magic);
        _pending.Commit();
        _done = true;
        return new PackRef { Id = Id, Size = _output.BytesWritten, Compression = algorithm, KeyId = _kek.Id, WrappedKey = wrapped };
    }

    private byte[] HeaderPlaintext()
    {
        var header = new byte[PackFormat.HeaderMagic.Length + 1 + 4 + _entries.Count * PackFormat.HeaderEntrySize];
        var span = header.AsSpan();
        PackFormat.HeaderMagic.CopyTo(span);
        span[6] = PackFormat.HeaderVersion;
        BinaryPrimitives.WriteUInt32LittleEndian(span[7..], (uint)_entries.Count);
        var at = 11;
        foreach (var (id, offset, length, rawLength) in _entries)
        {
            id.WriteTo(span[at..]);
            BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 32)..], (ulong)offset);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 40)..], (uint)length);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 44)..], (uint)rawLength);
            at += PackFormat.HeaderEntrySize;
        }
        return header;
    }

    public void Dispose()
    {
        _output.Dispose();
        _pending.Dispose(); // without Commit: discarded
        if (!_done) _done = true;
        CryptographicOperations.ZeroMemory(_dataKey);
    }
}
