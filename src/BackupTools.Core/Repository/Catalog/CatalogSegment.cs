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

    /// <param name="key">Default: a fresh name (<see cref="CatalogKeys.NewSegment"/>).</param>
    public static string Write(IBackupStore store, IReadOnlyCollection<BackupManifest> backups, CancellationToken cancel, string? key = null)
    {
        key ??= CatalogKeys.NewSegment();
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
    public static List<BackupManifest> Read(IBackupStore store, string key, CancellationToken cancel)
    {
        var backups = new List<BackupManifest>();
        ReadLines(store, key, (line, where) => backups.Add(CatalogEntry.Parse(line, where)), cancel);
        return backups;
    }

    /// <summary>
    /// Hands each entry line of a segment (UTF-8 JSON, valid only during the call) to <paramref name="entry"/>, then
    /// checks the header's count; <see cref="StoreObjectNotFoundException"/> when a compaction removed it meanwhile.
    /// </summary>
    public static void ReadLines(IBackupStore store, string key, EntryLine entry, CancellationToken cancel)
    {
        using var stream = store.OpenRead(key, cancel);
        using var zstd = CompressionCodec.Decompress(stream, CompressionAlgorithm.Zstd);
        using var sharing = PooledStringConverter.Share();
        SegmentHeader? header = null;
        var count = 0;
        foreach (var line in Lines(zstd, key))
        {
            if (header is null)
            {
                try { header = JsonSerializer.Deserialize<SegmentHeader>(line.Span) ?? throw new JsonException("no header"); }
                catch (JsonException e) { throw CatalogErrors.Damaged(key, e.Message, e); }
                if (header.Format != FormatName || header.Version != 1) throw CatalogErrors.Damaged(key, $"format '{header.Format}' v{header.Version} is not a catalog segment this version reads");
                continue;
            }
            count++;
            entry(line.Span, key);
        }
        if (header is null) throw CatalogErrors.Damaged(key, "it is empty");
        if (count != header.Count) throw CatalogErrors.Damaged(key, $"it holds {count} entries, its header says {header.Count} (truncated?)");
    }

    /// <summary>Receives one entry line of a segment (<paramref name="where"/>: the segment's key, for errors).</summary>
    public delegate void EntryLine(ReadOnlySpan<byte> line, string where);

    /// <summary>The non-empty lines of a stream as UTF-8 bytes, without a string per line (50,000 entries per listing).</summary>
    private static IEnumerable<ReadOnlyMemory<byte>> Lines(Stream input, string key)
    {
        var buffer = new byte[1 << 16];
        int start = 0, end = 0;
        while (true)
        {
            var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                if (newline > 0) yield return buffer.AsMemory(start, newline);
                start += newline + 1;
                continue;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            int read;
            try { read = input.Read(buffer, end, buffer.Length - end); }
            catch (Exception e) when (IsDamage(e)) { throw CatalogErrors.Damaged(key, e.Message, e); }
            if (read == 0) break;
            end += read;
        }
        if (end > start) yield return buffer.AsMemory(start, end - start);
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
