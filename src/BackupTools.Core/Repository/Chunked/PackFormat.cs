using System.Text.Json.Serialization;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// A pack: data/&lt;2 hex&gt;/&lt;64 hex id&gt; = blob* ‖ header ‖ trailer (see SealedTrailer). Each blob is one chunk,
/// compressed and then encrypted as its own BTSEG stream under the pack's data key. The header is a BTSEG stream of
/// "BTPKH\0" ‖ version 1 ‖ count (uint32 LE) ‖ count × (chunk id 32 ‖ offset uint64 LE ‖ length uint32 LE ‖ raw length uint32 LE).
/// The footer carries the data key wrapped under a key-encryption key (associated data "pack:" + pack id), so a pack
/// can be read (and the index rebuilt) from the pack alone.
/// </summary>
internal static class PackFormat
{
    public const string Prefix = "data/";
    public static ReadOnlySpan<byte> Magic => "BTPACK01"u8;
    public static ReadOnlySpan<byte> HeaderMagic => "BTPKH\0"u8;
    public const byte HeaderVersion = 1;
    public const int HeaderEntrySize = ChunkId.Size + 8 + 4 + 4;

    public static string KeyOf(string packId) => $"{Prefix}{packId[..2]}/{packId}";
    public static string DataKeyAssociatedData(string packId) => "pack:" + packId;
}

internal sealed class PackFooter
{
    [JsonPropertyName("format")] public string Format { get; init; } = "backuptools-pack";
    [JsonPropertyName("version")] public int Version { get; init; } = 1;
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("compression")] public required string Compression { get; init; }
    [JsonPropertyName("keyId")] public required string KeyId { get; init; }
    [JsonPropertyName("wrappedKey")] public required string WrappedKey { get; init; }
    [JsonPropertyName("headerOffset")] public required long HeaderOffset { get; init; }
    [JsonPropertyName("headerLength")] public required long HeaderLength { get; init; }
}

/// <summary>A finished pack as the index knows it: where it is, how big, how its chunks are compressed, its wrapped data key.</summary>
public sealed class PackRef
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("size")] public required long Size { get; init; }
    [JsonPropertyName("compression")] public required string Compression { get; init; }
    [JsonPropertyName("keyId")] public required string KeyId { get; init; }
    [JsonPropertyName("wrappedKey")] public required string WrappedKey { get; init; }
    [JsonIgnore] public string Key => PackFormat.KeyOf(Id);
}

/// <summary>Where one chunk's blob is: its pack, byte offset and stored length, and the chunk's own length.</summary>
/// <param name="IndexKeyId">The key of the index file that lists it (a reader needs it too); null when not known.</param>
public readonly record struct ChunkLocation(PackRef Pack, long Offset, int Length, int RawLength, string? IndexKeyId = null);
