using System.Security.Cryptography;

namespace BackupTools.Core.Repository.Catalog;

/// <summary>
/// Where the catalog lives (docs/repository-format.md, "The catalog"): immutable segments, one loose entry per
/// backup written since the last fold, and tombstones of deletions not folded yet. Every file is written once and
/// only ever deleted, so concurrent writers need neither append nor rename (S3).
/// </summary>
internal static class CatalogKeys
{
    public const string Prefix = "catalog/";
    public const string SegmentsPrefix = Prefix + "segments/";
    public const string EntriesPrefix = Prefix + "entries/";
    public const string DeletedPrefix = Prefix + "deleted/";
    public const string SegmentSuffix = ".jsonl.zst";
    private const string JsonSuffix = ".json";

    public static string Entry(string id) => $"{EntriesPrefix}{id}{JsonSuffix}";
    public static string Tombstone(string id) => $"{DeletedPrefix}{id}{JsonSuffix}";

    /// <summary>A fresh segment name: time first (readers need no order, people like one), then randomness so concurrent folds never collide.</summary>
    public static string NewSegment() =>
        $"{SegmentsPrefix}{DateTime.UtcNow:yyyyMMdd'T'HHmmssfff'Z'}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant()}{SegmentSuffix}";

    /// <summary>
    /// The name of the merge of these segments, the same for every writer that merges them: two writers that merge
    /// the same segments at once write one file twice, not two copies of every backup in them (which every listing
    /// would read until the next full compaction). Time part: the newest merged segment's.
    /// </summary>
    public static string MergedSegment(IReadOnlyCollection<string> segments)
    {
        var names = segments.Select(k => k[SegmentsPrefix.Length..]).Order(StringComparer.Ordinal).ToList();
        var hash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', names)));
        var time = names[^1].Split('-')[0];
        return $"{SegmentsPrefix}{time}-{Convert.ToHexString(hash, 0, 8).ToLowerInvariant()}{SegmentSuffix}";
    }

    public static bool IsSegment(string key) => key.StartsWith(SegmentsPrefix, StringComparison.Ordinal) && key.EndsWith(SegmentSuffix, StringComparison.Ordinal);

    /// <summary>The backup id an entry or tombstone key names, or null for anything else (debris, claims of create-exclusive).</summary>
    public static string? IdOf(string key, string prefix)
    {
        if (!key.StartsWith(prefix, StringComparison.Ordinal) || !key.EndsWith(JsonSuffix, StringComparison.Ordinal)) return null;
        var id = key[prefix.Length..^JsonSuffix.Length];
        return BackupId.IsValid(id) ? id : null;
    }
}
