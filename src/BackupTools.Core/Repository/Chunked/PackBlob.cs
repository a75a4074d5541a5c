using BackupTools.Core.Errors;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Pipeline.Encryption;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// Turns one stored blob back into its chunk: BTSEG-decrypt with the pack's data key, decompress, check the length
/// and that the chunk's HMAC equals its id. Every failure is an integrity error naming <paramref name="where"/>.
/// Shared by restores, prune's repacking and the repository check, so all three judge a blob the same way.
/// </summary>
internal static class PackBlob
{
    public static byte[] Decode(ReadOnlySpan<byte> blob, byte[] dataKey, string compression, int rawLength, ChunkId id, ChunkHasher hasher, string where)
    {
        var raw = new byte[rawLength];
        try
        {
            using var decrypt = new SegmentedDecryptStream(new MemoryStream(blob.ToArray()), dataKey);
            using var decompress = CompressionCodec.Decompress(decrypt, Enum.Parse<CompressionAlgorithm>(compression, ignoreCase: true));
            var got = SegmentFormat.ReadFully(decompress, raw);
            if (got != raw.Length || decompress.ReadByte() >= 0)
                throw new BackupIntegrityException("ChunkLengthMismatch", $"{where} does not have the {raw.Length} bytes the index says.");
        }
        catch (BackupIntegrityException e) when (!e.Message.StartsWith(where, StringComparison.Ordinal))
        {
            throw new BackupIntegrityException(e.ErrorId, $"{where}: {e.Message}", e.RecommendedAction, e);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ZstdSharp.ZstdException)
        {
            throw new BackupIntegrityException("DecompressionFailed", $"{where} could not be decompressed: {e.Message}", inner: e);
        }
        if (hasher.IdOf(raw) != id)
            throw new BackupIntegrityException("ChunkHashMismatch", $"{where} does not match its id {id} (the index points at other data).");
        return raw;
    }
}
