using System.Text.Json;
using System.Text.Json.Nodes;
using BackupTools.Core.Errors;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Catalog;

/// <summary>
/// A catalog entry is the backup's manifest without the chunk lists of its objects: everything a listing, status,
/// metrics or retention shows, at a few hundred bytes, so 50,000 of them read fast. Read back it is a
/// <see cref="BackupManifest"/> whose objects have no <c>chunks</c>; whoever reads data re-reads the manifest.
/// </summary>
internal static class CatalogEntry
{
    private static readonly JsonSerializerOptions Compact = new(RepositoryJson.Options) { WriteIndented = false };

    /// <summary>One line of JSON (no line breaks inside: segments are JSON lines).</summary>
    /// <remarks>The engine facts go as JSON text (<c>engineInfoText</c>), read back lazily (see BackupManifest.EngineInfoText).</remarks>
    public static byte[] ToBytes(BackupManifest manifest)
    {
        var node = JsonSerializer.SerializeToNode(manifest, Compact)!.AsObject();
        foreach (var (_, obj) in node["objects"]!.AsObject()) obj?.AsObject().Remove("chunks");
        if (node["engineInfo"] is { } facts)
        {
            node.Remove("engineInfo");
            node["engineInfoText"] = facts.ToJsonString();
        }
        return JsonSerializer.SerializeToUtf8Bytes(node, Compact);
    }

    public static BackupManifest Parse(ReadOnlySpan<byte> json, string where)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<BackupManifest>(json, Compact) ?? throw new JsonException("empty entry");
            if (manifest.Format != BackupManifest.FormatName || !BackupId.IsValid(manifest.Id) || !manifest.Objects.ContainsKey(BackupManifest.DataRole))
                throw new JsonException($"not a backup summary (format '{manifest.Format}', id '{manifest.Id}')");
            return manifest;
        }
        catch (JsonException e)
        {
            throw CatalogErrors.Damaged(where, e.Message, e);
        }
    }

    /// <summary>Written just before the manifest: a backup whose manifest exists always has its entry (see CatalogReader).</summary>
    public static void Write(IBackupStore store, BackupManifest manifest, CancellationToken cancel) =>
        store.Replace(CatalogKeys.Entry(manifest.Id), ToBytes(manifest), cancel);

    /// <summary>The loose entry of a backup, or null when it is gone (folded meanwhile) or names another backup.</summary>
    public static BackupManifest? TryRead(IBackupStore store, string id, CancellationToken cancel)
    {
        byte[] bytes;
        try
        {
            using var stream = store.OpenRead(CatalogKeys.Entry(id), cancel);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            bytes = buffer.ToArray();
        }
        catch (StoreObjectNotFoundException) { return null; }
        var manifest = Parse(bytes, CatalogKeys.Entry(id));
        return manifest.Id == id ? manifest : null;
    }

    /// <summary>Written under the exclusive lease before a manifest is deleted: segments may still list the backup until the next full compaction.</summary>
    public static void WriteTombstone(IBackupStore store, string id, CancellationToken cancel) =>
        store.Replace(CatalogKeys.Tombstone(id), JsonSerializer.SerializeToUtf8Bytes(new { id, deletedAt = DateTimeOffset.UtcNow }, Compact), cancel);
}

internal static class CatalogErrors
{
    public static BackupIntegrityException Damaged(string where, string why, Exception? inner = null) =>
        new("CatalogDamaged", $"The backup catalog file {where} is damaged: {why}.",
            "Listings fall back to reading every manifest meanwhile; run Repair-BackupRepository -RebuildIndex to rebuild the catalog.", inner);
}
