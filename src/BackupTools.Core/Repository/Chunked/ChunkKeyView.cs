using BackupTools.Core.Keys;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// Which keys a reader needs for each chunk, from the index files that count: every file except one superseded by a
/// rotation's file that exists (that one reads the same chunks under the new key, and the old file is deleted next).
/// Per chunk the first counting file in name order gives its keys (the index file's and the pack's), as for
/// <see cref="ChunkIndex"/>. Files none of the given keys opens are left out: their chunks are "not located".
/// </summary>
internal sealed class ChunkKeyView
{
    private readonly Dictionary<ChunkId, (string IndexKeyId, string PackKeyId)> _chunks = new();

    public static ChunkKeyView Load(IBackupStore store, BackupKeyRing keys, CancellationToken cancel)
    {
        var files = new List<(string Key, string KeyId, IndexBody Body)>();
        foreach (var key in store.List(IndexFile.Prefix, cancel).Where(k => !k.Contains(".claims/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                var body = IndexFile.Read(store, key, keys, out var keyId, cancel);
                files.Add((key, keyId, body));
            }
            catch (Exception e) when (e is Errors.BackupKeyException or StoreObjectNotFoundException) { /* another key's file, or removed meanwhile */ }
        }
        var superseded = files.SelectMany(f => f.Body.Supersedes ?? []).ToHashSet(StringComparer.Ordinal);
        var view = new ChunkKeyView();
        foreach (var (key, keyId, body) in files.Where(f => !superseded.Contains(f.Key[IndexFile.Prefix.Length..])))
            foreach (var pack in body.Packs)
                foreach (var chunk in pack.Chunks)
                    view._chunks.TryAdd(ChunkId.Parse(chunk.Id), (string.Intern(keyId), string.Intern(pack.Pack.KeyId)));
        return view;
    }

    /// <summary>The keys the backup's chunks need, in order of first use; null when some chunk is in no file this view could open.</summary>
    public IReadOnlyList<string>? KeysOf(BackupManifest manifest)
    {
        var keys = new List<string>();
        foreach (var id in manifest.Objects.Values.SelectMany(o => o.Chunks ?? []))
        {
            if (!_chunks.TryGetValue(ChunkId.Parse(id), out var found)) return null;
            if (!keys.Contains(found.IndexKeyId)) keys.Add(found.IndexKeyId);
            if (!keys.Contains(found.PackKeyId)) keys.Add(found.PackKeyId);
        }
        return keys;
    }
}

/// <summary>
/// Keeps each chunked backup's keywraps record (<see cref="KeyWrapRecord.ChunkKeys"/>) saying which keys it needs, after
/// something moved its chunks' index entries to other keys (key rotation, prune's index rewrite). A record is written
/// only when the keys differ from what the backup says now, so a rerun writes nothing twice; a backup with a chunk in no
/// file the given keys open keeps what it said (with a warning).
/// </summary>
internal static class ChunkKeyRecords
{
    /// <returns>Per backup id, the keys it needs now.</returns>
    public static Dictionary<string, IReadOnlyList<NeededKey>> Update(BackupRepository repository, IReadOnlyList<BackupManifest> chunked, BackupKeyRing keys,
        Operations.IOperationObserver observer, Action<string, int> afterWrite, CancellationToken cancel)
    {
        var view = ChunkKeyView.Load(repository.Store, keys, cancel);
        var now = DateTimeOffset.UtcNow;
        var needs = new Dictionary<string, IReadOnlyList<NeededKey>>(StringComparer.Ordinal);
        foreach (var manifest in chunked)
        {
            cancel.ThrowIfCancellationRequested();
            var record = KeyWraps.Read(repository.Store, manifest.Id);
            var before = NeededKeys.Of(manifest, record);
            if (view.KeysOf(manifest) is not { } ids)
            {
                observer.Warning($"{manifest.Id}: some of its chunks are in index files none of the given keys opens; the keys it needs are left as recorded ({string.Join(", ", before.Select(k => k.KeyId))}).");
                needs[manifest.Id] = before;
                continue;
            }
            var needed = ids.Select(id => before.FirstOrDefault(k => k.KeyId == id) ?? Named(id, keys, now)).ToList();
            needs[manifest.Id] = needed;
            if (needed.Select(k => k.KeyId).SequenceEqual(before.Select(k => k.KeyId))) continue;
            repository.WriteKeyWraps(new KeyWrapRecord { Id = manifest.Id, Wraps = record?.Wraps ?? [], ChunkKeys = needed }, cancel);
            afterWrite(manifest.Id, 3);
        }
        return needs;
    }

    private static NeededKey Named(string keyId, BackupKeyRing keys, DateTimeOffset now) => keys.TryFind(keyId, out var key)
        ? NeededKey.For(key, since: now)
        : new NeededKey { KeyId = keyId, Since = now };
}
