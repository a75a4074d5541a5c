using System.Buffers.Binary;
using System.Text.Json;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// The end of a pack or index file: a JSON footer (how to find and decrypt the rest), its length as a 4-byte
/// little-endian integer, and an 8-byte magic ("BTPACK01" / "BTINDX01"). Readers start from the end.
/// </summary>
internal static class SealedTrailer
{
    public const int FixedSize = 4 + 8;

    public static void Write<T>(Stream output, T footer, ReadOnlySpan<byte> magic)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(footer, RepositoryJson.Options);
        output.Write(json);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)json.Length);
        output.Write(length);
        output.Write(magic);
    }

    /// <summary>Parses the footer at the end of <paramref name="whole"/>; returns it and where it starts.</summary>
    public static (T Footer, int FooterStart) Read<T>(ReadOnlySpan<byte> whole, ReadOnlySpan<byte> magic, string name)
    {
        if (whole.Length < FixedSize || !whole[^8..].SequenceEqual(magic))
            throw new BackupIntegrityException("ChunkedObjectMalformed", $"{name} does not end with its {System.Text.Encoding.ASCII.GetString(magic)} trailer (damaged or truncated).");
        var length = BinaryPrimitives.ReadUInt32LittleEndian(whole[^FixedSize..]);
        if (length > whole.Length - FixedSize)
            throw new BackupIntegrityException("ChunkedObjectMalformed", $"{name} has an impossible footer length ({length}).");
        var start = whole.Length - FixedSize - (int)length;
        try
        {
            return (RepositoryJson.Deserialize<T>(whole.Slice(start, (int)length)), start);
        }
        catch (JsonException e)
        {
            throw new BackupIntegrityException("ChunkedObjectMalformed", $"{name} has a footer that is not valid JSON: {e.Message}", inner: e);
        }
    }
}
