using System.Buffers.Binary;
using System.Security.Cryptography;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// A chunk's name: HMAC-SHA256(repository chunk secret, chunk bytes). Keyed, so stored names reveal nothing about
/// the content to anyone without the key, and chunks deduplicate only within one repository secret.
/// </summary>
public readonly record struct ChunkId(ulong A, ulong B, ulong C, ulong D)
{
    public const int Size = 32;

    /// <summary>repository.json's chunking.chunkId: HMAC-SHA256(chunk secret, chunk bytes). Cheaper keyed schemes were measured
    /// and gain nothing: HMAC costs one SHA-256 pass over the chunk plus two blocks, the same as any SHA-256-based id.</summary>
    public const string HmacSha256Scheme = "hmac-sha256";

    public static ChunkId FromBytes(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]), BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));

    public static ChunkId Parse(string hex)
    {
        if (hex.Length != Size * 2) throw new FormatException($"a chunk id has {Size * 2} hex digits, not {hex.Length}");
        return FromBytes(Convert.FromHexString(hex));
    }

    public void WriteTo(Span<byte> target)
    {
        BinaryPrimitives.WriteUInt64BigEndian(target, A);
        BinaryPrimitives.WriteUInt64BigEndian(target[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(target[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(target[24..], D);
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return Convert.ToHexString(bytes).ToLowerInvariant();
    }
}

/// <summary>Computes chunk ids with one repository's secret; reuses its HMAC state (not thread-safe).</summary>
public sealed class ChunkHasher(ReadOnlySpan<byte> secret) : IDisposable
{
    private readonly IncrementalHash _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);

    public ChunkId IdOf(ReadOnlySpan<byte> chunk)
    {
        Span<byte> mac = stackalloc byte[ChunkId.Size];
        _hmac.AppendData(chunk);
        _hmac.GetHashAndReset(mac);
        return ChunkId.FromBytes(mac);
    }

    public void Dispose() => _hmac.Dispose();
}
