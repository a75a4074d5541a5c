using System.Buffers.Binary;
using System.Security.Cryptography;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// Reads one pack whole and checks everything in it: the trailer, the data key, the encrypted header, that the
/// header lists exactly the chunks the index says where it says, and every blob (decrypt, decompress, length, HMAC).
/// Returns the bytes read; throws an integrity error naming the pack (and the chunk) at the first problem.
/// </summary>
internal static class PackVerifier
{
    public static long Verify(IBackupStore store, IndexedPack indexed, BackupKeyRing keys, ChunkHasher hasher, CancellationToken cancel)
    {
        var key = indexed.Pack.Key;
        byte[] whole;
        using (var stream = store.OpenRead(key, cancel))
        using (var buffer = new MemoryStream())
        {
            stream.CopyTo(buffer);
            whole = buffer.ToArray();
        }
        if (whole.Length != indexed.Pack.Size)
            throw new BackupIntegrityException("PackSizeMismatch", $"{key} holds {whole.Length} bytes, the index says {indexed.Pack.Size}.");
        var (footer, _) = SealedTrailer.Read<PackFooter>(whole, PackFormat.Magic, key);
        if (footer.Id != indexed.Pack.Id)
            throw new BackupIntegrityException("ChunkedObjectMalformed", $"{key} says it is pack {footer.Id}.");
        var dataKey = DataKeyWrapper.Unwrap(keys.Find(footer.KeyId), footer.WrappedKey, PackFormat.DataKeyAssociatedData(footer.Id));
        try
        {
            var header = ReadHeader(whole, footer, dataKey, key);
            var expected = indexed.Chunks.Select(c => (c.Id, c.Offset, c.Length, c.RawLength)).Order().ToList();
            if (!header.Order().SequenceEqual(expected))
                throw new BackupIntegrityException("PackIndexMismatch", $"{key}: its header lists {header.Count} chunk(s), the index {expected.Count}, and they differ.",
                    "Rebuild the index (Repair-BackupRepository -RebuildIndex).");
            foreach (var chunk in indexed.Chunks)
            {
                cancel.ThrowIfCancellationRequested();
                if (chunk.Offset + chunk.Length > footer.HeaderOffset)
                    throw new BackupIntegrityException("ChunkedObjectMalformed", $"{key}: chunk {chunk.Id} runs past the pack's blobs.");
                PackBlob.Decode(whole.AsSpan((int)chunk.Offset, chunk.Length), dataKey, footer.Compression, chunk.RawLength, ChunkId.Parse(chunk.Id), hasher, $"chunk {chunk.Id} in pack {key}");
            }
            return whole.Length;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    private static List<(string Id, long Offset, int Length, int RawLength)> ReadHeader(byte[] whole, PackFooter footer, byte[] dataKey, string key)
    {
        if (footer.HeaderOffset < 0 || footer.HeaderLength < 0 || footer.HeaderOffset + footer.HeaderLength > whole.Length)
            throw new BackupIntegrityException("ChunkedObjectMalformed", $"{key}: its footer places the header outside the pack.");
        byte[] plain;
        try
        {
            using var decrypt = new SegmentedDecryptStream(new MemoryStream(whole, (int)footer.HeaderOffset, (int)footer.HeaderLength), dataKey);
            using var buffer = new MemoryStream();
            decrypt.CopyTo(buffer);
            plain = buffer.ToArray();
        }
        catch (BackupIntegrityException e)
        {
            throw new BackupIntegrityException(e.ErrorId, $"{key}: header: {e.Message}", e.RecommendedAction, e);
        }
        var span = plain.AsSpan();
        if (span.Length < 11 || !span[..6].SequenceEqual(PackFormat.HeaderMagic) || span[6] != PackFormat.HeaderVersion)
            throw new BackupIntegrityException("ChunkedObjectMalformed", $"{key}: its header is not a version-{PackFormat.HeaderVersion} pack header.");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(span[7..]);
        if (span.Length != 11 + (long)count * PackFormat.HeaderEntrySize)
            throw new BackupIntegrityException("ChunkedObjectMalformed", $"{key}: its header's length does not match its {count} entries.");
        var entries = new List<(string, long, int, int)>((int)count);
        for (var at = 11; at < span.Length; at += PackFormat.HeaderEntrySize)
            entries.Add((ChunkId.FromBytes(span[at..]).ToString(), (long)BinaryPrimitives.ReadUInt64LittleEndian(span[(at + 32)..]),
                (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(at + 40)..]), (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(at + 44)..])));
        return entries;
    }
}
