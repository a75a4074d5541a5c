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
/// 2. per index file that needs the old key: a new index file with the same entries, each pack key of the old key
///    re-wrapped to the new one and the file itself under the new key, is written beside it, then the old file deleted;
/// 3. the old key's wrap of the chunk secret is removed.
/// At every instant each index entry and the chunk secret open with the old key or the new one (after a crash between
/// the two writes of step 2 both files exist, and a chunk listed twice is fine), and a rerun finishes the job.
/// A pack's own footer keeps the wrap it was written with (see docs/repository-format.md, "Key rotation in format 2").
/// </summary>
internal sealed class ChunkedKeyRotation(IOperationObserver observer, Action<string, int> afterWrite)
{
    public const string ConfigStep = BackupRepository.ConfigKey;

    public IReadOnlyList<KeyRotationResult> Run(BackupRepository repository, IReadOnlyList<BackupManifest> chunked, BackupKey from, BackupKey to, CancellationToken cancel)
    {
        if (!to.HasWriterSecret) throw KeyErrors.WriterSecretMissing(to);
        var store = repository.Store;
        var both = Ring(from, to);
        AddSecretWrap(store, from, to);
        var rewritten = 0;
        foreach (var key in store.List(IndexFile.Prefix, cancel).Where(k => !k.Contains(".claims/", StringComparison.Ordinal)).ToList())
        {
            cancel.ThrowIfCancellationRequested();
            if (RotateIndexFile(repository, key, both, from, to, cancel)) rewritten++;
        }
        DropSecretWrap(store, from, to);
        observer.Verbose($"{rewritten} index file(s) re-wrapped from {from.Id} to {to.Id}; packs untouched.");
        return Results(repository, chunked, from, to, rewritten > 0, cancel);
    }

    private void AddSecretWrap(IBackupStore store, BackupKey from, BackupKey to)
    {
        var config = BackupRepository.ReadConfig(store);
        var secrets = config.Chunking!.Secrets;
        if (secrets.Any(s => s.KeyId == to.Id && WriterKeyWrap.CanUnwrap(to, s.Wrapped))) return;
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

    /// <summary>Rewrites one index file when it or a pack it lists needs the old key; true when it did.</summary>
    private bool RotateIndexFile(BackupRepository repository, string key, BackupKeyRing both, BackupKey from, BackupKey to, CancellationToken cancel)
    {
        IndexBody body;
        string fileKeyId;
        try { body = IndexFile.Read(repository.Store, key, both, out fileKeyId, cancel); }
        catch (StoreObjectNotFoundException) { return false; } // removed meanwhile (a discarded backup's)
        catch (BackupKeyException)
        {
            observer.Warning($"{key} opens with neither {from.Id} nor {to.Id}; left as it is (rotate it with its own key).");
            return false;
        }
        if (fileKeyId != from.Id && body.Packs.All(p => p.Pack.KeyId != from.Id)) return false;
        var fresh = new IndexBody { Packs = body.Packs.Select(p => p.Pack.KeyId == from.Id ? Rewrap(p, from, to) : p).ToList() };
        var written = IndexFile.Write(repository.Store, to, repository.Config.Defaults.SegmentSize, fresh, cancel); // the new file beside the old
        afterWrite(written, 1);
        repository.Store.Delete(key);                                                                               // then the old one goes
        afterWrite(key, 2);
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

    /// <summary>Per chunked backup: the keys its chunks' packs need now (read from the index files as they are after the run).</summary>
    private static List<KeyRotationResult> Results(BackupRepository repository, IReadOnlyList<BackupManifest> chunked, BackupKey from, BackupKey to, bool rewrote, CancellationToken cancel)
    {
        var index = new ChunkIndex();
        index.Refresh(repository.Store, Ring(to), cancel);
        var results = new List<KeyRotationResult>();
        foreach (var manifest in chunked)
        {
            var ids = manifest.Objects.Values.SelectMany(o => o.Chunks ?? []).ToList();
            var allUnderNew = ids.All(id => index.TryGet(ChunkId.Parse(id), out var location) && location.Pack.KeyId == to.Id);
            results.Add(allUnderNew
                ? new(manifest.Id, manifest.Cell, rewrote ? KeyRotationOutcome.Rewrapped : KeyRotationOutcome.AlreadyRotated, from.Id, to.Id)
                : new(manifest.Id, manifest.Cell, KeyRotationOutcome.OtherKey, manifest.Encryption?.KeyId, manifest.Encryption?.KeyId));
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
