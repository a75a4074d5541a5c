using System.Security.Cryptography;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// Key rotation of a format-2 repository. Packs are never rewritten: the key a reader uses for a pack is the wrap in
/// the index file that lists it, so rotation rewrites index files (small) and the chunk secret's wraps:
/// 1. the chunk secret wrapped under the new key is added to repository.json beside the old key's wrap;
/// 2. for every index file that needs the old key, a new index file with the same entries — each pack key of the old
///    key re-wrapped to the new one, the file itself under the new key, "supersedes" naming the old file — is written;
/// 3. only when every such file has its new one, each chunked backup's keywraps record says which keys it needs now
///    (<see cref="KeyWrapRecord.ChunkKeys"/>: listings and rotation warnings read it), then the old files are deleted;
/// 4. the old key's wrap of the chunk secret is removed.
/// A backup's chunks may sit in packs listed by many index files (deduplication), so old files go only after all new
/// ones exist: until step 3 the old key reads every backup, from step 3 on the new key does. A rerun skips files whose
/// new one exists (a file under the new key supersedes them) and finishes the job.
/// A pack's own footer keeps the wrap it was written with (see docs/repository-format.md, "Key rotation in format 2").
/// </summary>
internal sealed class ChunkedKeyRotation(IOperationObserver observer, Action<string, int> afterWrite)
{
    public const string ConfigStep = BackupRepository.ConfigKey;

    /// <summary>What the first pass learns of one index file (bodies are not kept: memory stays one file).</summary>
    private sealed record IndexFileFacts(string Key, string FileKeyId, bool NeedsOldKey, IReadOnlyList<string> Supersedes)
    {
        public string Id => Key[IndexFile.Prefix.Length..];
    }

    public IReadOnlyList<KeyRotationResult> Run(BackupRepository repository, IReadOnlyList<BackupManifest> chunked, BackupKey from, BackupKey to, CancellationToken cancel)
    {
        if (!to.HasWriterSecret) throw KeyErrors.WriterSecretMissing(to);
        var store = repository.Store;
        var both = Ring(from, to);
        AddSecretWrap(store, from, to);
        var files = Survey(store, both, from, to, cancel);
        var superseded = files.Where(f => f.FileKeyId == to.Id).SelectMany(f => f.Supersedes).ToHashSet(StringComparer.Ordinal);
        var rewritten = 0;
        foreach (var file in files.Where(f => f.NeedsOldKey && !superseded.Contains(f.Id)))
        {
            cancel.ThrowIfCancellationRequested();
            if (WriteRewrapped(repository, file, both, from, to, cancel)) { superseded.Add(file.Id); rewritten++; }
        }
        foreach (var manifest in chunked) RewrapWriterReadable(repository, manifest, from, to, cancel);
        // Every new file exists: each backup's keys are now those of the files that supersede the old ones.
        var needs = ChunkKeyRecords.Update(repository, chunked, both, observer, afterWrite, cancel);
        foreach (var file in files.Where(f => f.NeedsOldKey && superseded.Contains(f.Id)))
        {
            cancel.ThrowIfCancellationRequested();
            store.Delete(file.Key); // its new file exists, and so do those of all the others
            afterWrite(file.Key, 2);
        }
        DropSecretWrap(store, from, to);
        observer.Verbose($"{rewritten} index file(s) re-wrapped from {from.Id} to {to.Id}; packs untouched.");
        return Results(chunked, needs, from, to, rewritten > 0);
    }

    private void AddSecretWrap(IBackupStore store, BackupKey from, BackupKey to)
    {
        var config = BackupRepository.ReadConfig(store);
        if (ChunkSecrets.HasWriterWrap(config, to)) return;
        var secret = ChunkSecrets.TryUnwrap(config, Ring(from));
        if (secret is null) return; // no backup made with the old key yet (or none at all): nothing to carry over
        try
        {
            ChunkSecrets.AddWrap(config, to, secret);
            store.Replace(BackupRepository.ConfigKey, RepositoryJson.Serialize(config));
        }
        finally { CryptographicOperations.ZeroMemory(secret); }
        afterWrite(ConfigStep, 1);
    }

    private void DropSecretWrap(IBackupStore store, BackupKey from, BackupKey to)
    {
        var config = BackupRepository.ReadConfig(store);
        var secrets = config.Chunking!.Secrets;
        if (!secrets.Any(s => s.KeyId == to.Id) || secrets.RemoveAll(s => s.KeyId == from.Id) == 0) return;
        store.Replace(BackupRepository.ConfigKey, RepositoryJson.Serialize(config));
        afterWrite(ConfigStep, 2);
    }

    private List<IndexFileFacts> Survey(IBackupStore store, BackupKeyRing both, BackupKey from, BackupKey to, CancellationToken cancel)
    {
        var facts = new List<IndexFileFacts>();
        foreach (var key in store.List(IndexFile.Prefix, cancel).Where(k => !k.Contains(".claims/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList())
        {
            cancel.ThrowIfCancellationRequested();
            IndexBody body;
            string fileKeyId;
            try { body = IndexFile.Read(store, key, both, out fileKeyId, cancel); }
            catch (StoreObjectNotFoundException) { continue; } // removed meanwhile (a discarded backup's)
            catch (BackupKeyException)
            {
                observer.Warning($"{key} opens with neither {from.Id} nor {to.Id}; left as it is (rotate it with its own key).");
                continue;
            }
            facts.Add(new IndexFileFacts(key, fileKeyId, fileKeyId == from.Id || body.Packs.Any(p => p.Pack.KeyId == from.Id), body.Supersedes ?? []));
        }
        return facts;
    }

    /// <summary>Writes the new file of one old-key index file (re-read now: the survey kept no bodies).</summary>
    private bool WriteRewrapped(BackupRepository repository, IndexFileFacts file, BackupKeyRing both, BackupKey from, BackupKey to, CancellationToken cancel)
    {
        IndexBody body;
        try { body = IndexFile.Read(repository.Store, file.Key, both, cancel); }
        catch (StoreObjectNotFoundException) { return false; }
        var fresh = new IndexBody
        {
            Packs = body.Packs.Select(p => p.Pack.KeyId == from.Id ? Rewrap(p, from, to) : p).ToList(),
            Supersedes = [file.Id],
        };
        var written = IndexFile.Write(repository.Store, to, repository.Config.Defaults.SegmentSize, fresh, cancel);
        afterWrite(written, 1);
        return true;
    }

    private static IndexedPack Rewrap(IndexedPack indexed, BackupKey from, BackupKey to)
    {
        var pack = indexed.Pack;
        var associatedData = PackFormat.DataKeyAssociatedData(pack.Id);
        var dataKey = DataKeyWrapper.Unwrap(from, pack.WrappedKey, associatedData);
        try
        {
            var wrapped = DataKeyWrapper.Wrap(to, dataKey, associatedData);
            if (to.CanRead && !DataKeyWrapper.Unwrap(to, wrapped, associatedData).AsSpan().SequenceEqual(dataKey))
                throw new BackupKeyException("KeyRotationCheckFailed", $"Re-wrapping pack {pack.Id} did not give back its data key; nothing was changed for it.");
            return new IndexedPack
            {
                Pack = new PackRef { Id = pack.Id, Size = pack.Size, Compression = pack.Compression, KeyId = to.Id, WrappedKey = wrapped },
                Chunks = indexed.Chunks,
            };
        }
        finally { CryptographicOperations.ZeroMemory(dataKey); }
    }

    /// <summary>
    /// A write-only host's cell backups hold their file-state index as a single writer-readable object (not in packs): its
    /// key gets a wrap under the new key in keywraps/&lt;id&gt;.json, as in format 1, so a host with the new public key
    /// makes the next incremental. The manifest's wrap under the old key stays (manifests are immutable).
    /// </summary>
    private void RewrapWriterReadable(BackupRepository repository, BackupManifest manifest, BackupKey from, BackupKey to, CancellationToken cancel)
    {
        if (!manifest.Objects.Values.Any(o => o.WrappedKey != null)) return;
        var record = KeyWraps.Read(repository.Store, manifest.Id);
        if (record?.Wraps.Any(w => w.KeyId == to.Id) == true) return;
        if (WriterReadableObjects.Rewrap(manifest, record, from, to) is not { } objectKeys) return;
        var fresh = new KeyWrap
        {
            KeyId = to.Id, KeyName = to.Name, KeyCreatedAt = to.KnownCreatedAt,
            WrappedAt = DateTimeOffset.UtcNow, ObjectKeys = objectKeys,
        };
        repository.WriteKeyWraps(new KeyWrapRecord { Id = manifest.Id, Wraps = [.. record?.Wraps ?? [], fresh], ChunkKeys = record?.ChunkKeys }, cancel);
        afterWrite(manifest.Id, 1);
    }

    /// <summary>Per chunked backup: what rotation did, from the keys it needs now.</summary>
    private static List<KeyRotationResult> Results(IReadOnlyList<BackupManifest> chunked, Dictionary<string, IReadOnlyList<NeededKey>> needs, BackupKey from, BackupKey to, bool rewrote)
    {
        var results = new List<KeyRotationResult>();
        foreach (var manifest in chunked)
        {
            var now = needs[manifest.Id].Select(k => k.KeyId).ToList();
            var allUnderNew = now.Count == 1 && now[0] == to.Id;
            results.Add(allUnderNew
                ? new(manifest.Id, manifest.Cell, rewrote ? KeyRotationOutcome.Rewrapped : KeyRotationOutcome.AlreadyRotated, from.Id, to.Id)
                : new(manifest.Id, manifest.Cell, KeyRotationOutcome.OtherKey, manifest.Encryption?.KeyId, string.Join(",", now)));
        }
        return results;
    }

    private static BackupKeyRing Ring(params BackupKey[] keys)
    {
        var ring = new BackupKeyRing();
        foreach (var key in keys) ring.Add(key);
        return ring;
    }
}
