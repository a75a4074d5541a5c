using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Catalog;

/// <summary>
/// catalog/segments/&lt;time&gt;-&lt;random&gt;.jsonl.zst: a zstd stream of JSON lines, a header line first
/// (<see cref="SegmentHeader"/>, whose count catches a truncated file), then one catalog entry per line. Written
/// whole and atomically, never changed; a fold or compaction writes a new one and deletes those it replaces.
/// </summary>
internal static class CatalogSegment
{
    public const string FormatName = "backuptools-catalog-segment";

    public static string Write(IBackupStore store, IReadOnlyCollection<BackupManifest> backups, CancellationToken cancel)
    {
        var key = CatalogKeys.NewSegment();
        using var pending = store.OpenWrite(key, cancel);
        using (var zstd = CompressionCodec.Compress(pending, CompressionSettings.Default, leaveOpen: true, singleThreaded: true))
        using (var buffered = new BufferedStream(zstd, 1 << 16))
        {
            buffered.Write(JsonSerializer.SerializeToUtf8Bytes(new SegmentHeader { Count = backups.Count, CreatedAt = DateTimeOffset.UtcNow }));
            buffered.WriteByte((byte)'\n');
            foreach (var backup in backups)
            {
                buffered.Write(CatalogEntry.ToBytes(backup));
                buffered.WriteByte((byte)'\n');
            }
        }
        pending.Commit();
        return key;
    }

    /// <summary>Every entry of a segment; <see cref="StoreObjectNotFoundException"/> when a compaction removed it meanwhile.</summary>
    public static IEnumerable<BackupManifest> Read(IBackupStore store, string key, CancellationToken cancel)
    {
        using var stream = store.OpenRead(key, cancel);
        using var zstd = CompressionCodec.Decompress(stream, CompressionAlgorithm.Zstd);
        using var reader = new StreamReader(zstd, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        SegmentHeader header;
        string? line;
        try
        {
            line = reader.ReadLine();
            header = line is null ? throw new JsonException("empty file") : JsonSerializer.Deserialize<SegmentHeader>(line) ?? throw new JsonException("no header");
        }
        catch (Exception e) when (IsDamage(e))
        {
            throw CatalogErrors.Damaged(key, e.Message, e);
        }
        if (header.Format != FormatName || header.Version != 1) throw CatalogErrors.Damaged(key, $"format '{header.Format}' v{header.Version} is not a catalog segment this version reads");
        var count = 0;
        while (true)
        {
            try { line = reader.ReadLine(); }
            catch (Exception e) when (IsDamage(e)) { throw CatalogErrors.Damaged(key, e.Message, e); }
            if (line is null) break;
            if (line.Length == 0) continue;
            count++;
            yield return CatalogEntry.Parse(Encoding.UTF8.GetBytes(line), key);
        }
        if (count != header.Count) throw CatalogErrors.Damaged(key, $"it holds {count} entries, its header says {header.Count} (truncated?)");
    }

    /// <summary>Bad bytes (zstd, UTF-8, JSON), as opposed to the store failing or the file vanishing (a concurrent compaction: the caller retries).</summary>
    private static bool IsDamage(Exception e) => e is not (StoreObjectNotFoundException or OperationCanceledException or Errors.BackupToolsException or UnauthorizedAccessException);

    private sealed class SegmentHeader
    {
        [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
        [JsonPropertyName("version")] public int Version { get; init; } = 1;
        [JsonPropertyName("createdAt")] public DateTimeOffset CreatedAt { get; init; }
        [JsonPropertyName("count")] public int Count { get; init; }
    }
}
