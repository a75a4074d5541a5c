using System.Buffers.Binary;
using System.Security.Cryptography;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// Reads what a pack says about itself — its footer and encrypted header — with three ranged reads from its end,
/// never its blobs: enough to index its chunks again (Repair-BackupRepository -RebuildIndex).
/// </summary>
internal static class PackHeaderReader
{
    private const int TailGuess = 4096;

    public static IndexedPack Read(IBackupStore store, string packId, BackupKeyRing keys, CancellationToken cancel = default)
    {
        var key = PackFormat.KeyOf(packId);
        var size = store.SizeOf(key, cancel) ?? throw new StoreObjectNotFoundException(store.Location, key);
        var tailLength = (int)Math.Min(size, TailGuess);
        var tail = store.ReadRange(key, size - tailLength, tailLength, cancel);
        if (tail.Length >= SealedTrailer.FixedSize)
        {
            var footerLength = BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(tail.Length - SealedTrailer.FixedSize));
            if (footerLength + SealedTrailer.FixedSize > tail.Length && footerLength + SealedTrailer.FixedSize <= size)
                tail = store.ReadRange(key, size - footerLength - SealedTrailer.FixedSize, (int)footerLength + SealedTrailer.FixedSize, cancel);
        }
        var (footer, _) = SealedTrailer.Read<PackFooter>(tail, PackFormat.Magic, key);
        if (footer.Id != packId)
            throw new BackupIntegrityException("ChunkedObjectMalformed", $"{key} says it is pack {footer.Id}.");
        if (footer.HeaderOffset < 0 || footer.HeaderLength <= 0 || footer.HeaderOffset + footer.HeaderLength > size)
            throw new BackupIntegrityException("ChunkedObjectMalformed", $"{key}: its header ({footer.HeaderOffset}+{footer.HeaderLength}) lies outside the pack ({size} bytes).");
        var dataKey = DataKeyWrapper.Unwrap(keys.Find(footer.KeyId), footer.WrappedKey, PackFormat.DataKeyAssociatedData(packId));
        try
        {
            var encrypted = store.ReadRange(key, footer.HeaderOffset, checked((int)footer.HeaderLength), cancel);
            using var decrypt = new SegmentedDecryptStream(new MemoryStream(encrypted), dataKey);
            using var plain = new MemoryStream();
            decrypt.CopyTo(plain);
            return new IndexedPack
            {
                Pack = new PackRef { Id = packId, Size = size, Compression = footer.Compression, KeyId = footer.KeyId, WrappedKey = footer.WrappedKey },
                Chunks = ParseHeader(plain.ToArray(), key, footer.HeaderOffset),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private static List<IndexedChunk> ParseHeader(byte[] header, string key, long headerOffset)
    {
        var span = header.AsSpan();
        var fixedPart = PackFormat.HeaderMagic.Length + 1 + 4;
        if (span.Length < fixedPart || !span[..PackFormat.HeaderMagic.Length].SequenceEqual(PackFormat.HeaderMagic) || span[PackFormat.HeaderMagic.Length] != PackFormat.HeaderVersion)
            throw new BackupIntegrityException("ChunkedObjectMalformed", $"{key}: its header is not a version-{PackFormat.HeaderVersion} pack header.");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(span[(PackFormat.HeaderMagic.Length + 1)..]);
        if ((long)count * PackFormat.HeaderEntrySize != span.Length - fixedPart)
            throw new BackupIntegrityException("ChunkedObjectMalformed", $"{key}: its header says {count} chunks but holds {span.Length - fixedPart} bytes of entries.");
        var chunks = new List<IndexedChunk>((int)count);
        for (var at = fixedPart; at < span.Length; at += PackFormat.HeaderEntrySize)
        {
            var offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[(at + ChunkId.Size)..]);
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(at + ChunkId.Size + 8)..]);
            if (offset < 0 || offset + length > headerOffset)
                throw new BackupIntegrityException("ChunkedObjectMalformed", $"{key}: a header entry points outside the blobs.");
            chunks.Add(new IndexedChunk
            {
                Id = Convert.ToHexString(span.Slice(at, ChunkId.Size)).ToLowerInvariant(),
                Offset = offset,
                Length = length,
                RawLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(at + ChunkId.Size + 12)..]),
            });
        }
        return chunks;
    }
}
