using System.Buffers.Binary;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Pipeline.Encryption;

/// <summary>
/// Layout shared by the encrypt and decrypt streams (STREAM construction over AES-256-GCM):
/// header = "BTSEG\0" ‖ version(1) ‖ segment size (uint32 BE) ‖ nonce prefix (7) ‖ key id length (1) ‖ key id (UTF-8);
/// then segments of ciphertext ‖ tag(16). Segment i's nonce = prefix ‖ i (uint32 BE) ‖ final flag (1 on the
/// last segment only); every segment authenticates the whole header as associated data.
/// </summary>
internal static class SegmentFormat
{
    public static ReadOnlySpan<byte> Magic => "BTSEG\0"u8;
    public const byte Version = 1;
    public const int TagSize = 16;
    public const int NoncePrefixSize = 7;
    public const int MaxKeyIdBytes = 64;
    public const int MinSegmentSize = 1024;
    public const int MaxSegmentSize = 16 * 1024 * 1024;

    public static byte[] BuildHeader(int segmentSize, ReadOnlySpan<byte> noncePrefix, string keyId)
    {
        var id = Encoding.UTF8.GetBytes(keyId);
        if (id.Length > MaxKeyIdBytes) throw new ArgumentException("key id too long", nameof(keyId));
        var header = new byte[Magic.Length + 1 + 4 + NoncePrefixSize + 1 + id.Length];
        var span = header.AsSpan();
        Magic.CopyTo(span);
        span[6] = Version;
        BinaryPrimitives.WriteUInt32BigEndian(span[7..], (uint)segmentSize);
        noncePrefix.CopyTo(span[11..]);
        span[18] = (byte)id.Length;
        id.CopyTo(span[19..]);
        return header;
    }

    /// <summary>Reads and checks the header; returns it whole (it is the associated data) and its fields.</summary>
    public static (byte[] Header, int SegmentSize, byte[] NoncePrefix, string KeyId) ReadHeader(Stream input)
    {
        var fixedPart = new byte[19];
        if (ReadFully(input, fixedPart) != fixedPart.Length || !fixedPart.AsSpan(0, 6).SequenceEqual(Magic))
            throw new BackupIntegrityException("EncryptedStreamBadHeader", "The object does not start with a BackupTools encryption header (wrong format or damaged).");
        if (fixedPart[6] != Version)
            throw new BackupIntegrityException("EncryptedStreamBadHeader", $"Encryption format version {fixedPart[6]} is not supported by this version.", "Upgrade BackupTools.");
        var segmentSize = (int)BinaryPrimitives.ReadUInt32BigEndian(fixedPart.AsSpan(7));
        if (segmentSize < MinSegmentSize || segmentSize > MaxSegmentSize)
            throw new BackupIntegrityException("EncryptedStreamBadHeader", $"The encryption header has an impossible segment size ({segmentSize}).");
        var id = new byte[fixedPart[18]];
        if (ReadFully(input, id) != id.Length)
            throw new BackupIntegrityException("EncryptedStreamBadHeader", "The encryption header is cut short.");
        var header = new byte[fixedPart.Length + id.Length];
        fixedPart.CopyTo(header, 0);
        id.CopyTo(header, fixedPart.Length);
        return (header, segmentSize, fixedPart[11..18], Encoding.UTF8.GetString(id));
    }

    public static void Nonce(Span<byte> nonce, ReadOnlySpan<byte> prefix, uint counter, bool final)
    {
        prefix.CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[NoncePrefixSize..], counter);
        nonce[11] = final ? (byte)1 : (byte)0;
    }

    public static int ReadFully(Stream input, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = input.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
