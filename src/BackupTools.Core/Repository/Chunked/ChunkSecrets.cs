using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// The repository's chunk secret: keys chunk ids and the chunker's gear table. It is created by the first backup and
/// kept in repository.json wrapped (DataKeyWrapper, associated data "chunk-secret:" + repository id) under each key
/// that writes, so any of those keys finds it and a backup with a new current key adds its own wrapping.
/// </summary>
internal static class ChunkSecrets
{
    public static string AssociatedData(RepositoryConfig config) => "chunk-secret:" + config.Id;

    /// <summary>The secret for a writer (creating it, or adding the current key's wrapping, under the writer lock).</summary>
    public static byte[] ForWriting(IBackupStore store, BackupKeyRing keys)
    {
        var config = BackupRepository.ReadConfig(store);
        var chunking = config.Chunking!;
        var current = keys.Current;
        var secret = TryUnwrap(config, keys);
        if (secret is null)
        {
            if (chunking.Secrets.Count > 0) throw NoKeyFor(store, chunking);
            secret = DataKeys.NewDataKey();
        }
        if (chunking.Secrets.All(s => s.KeyId != current.Id))
        {
            chunking.Secrets.Add(new WrappedChunkSecret { KeyId = current.Id, Wrapped = DataKeyWrapper.Wrap(current, secret, AssociatedData(config)) });
            store.Replace(BackupRepository.ConfigKey, RepositoryJson.Serialize(config));
        }
        return secret;
    }

    /// <summary>The secret for a reader; a clear error when no given key wraps it.</summary>
    public static byte[] ForReading(IBackupStore store, BackupKeyRing? keys)
    {
        var config = BackupRepository.ReadConfig(store);
        if (keys is null || keys.IsEmpty)
            throw new BackupKeyException("KeyRequired", $"Repository {store.Location} is format v2 (chunked): every backup in it is encrypted and no key was given.",
                "Pass -KeyFile/-Key, or set BACKUPTOOLS_KEY or BACKUPTOOLS_KEY_FILE.");
        return TryUnwrap(config, keys) ?? throw NoKeyFor(store, config.Chunking!);
    }

    private static byte[]? TryUnwrap(RepositoryConfig config, BackupKeyRing keys)
    {
        foreach (var wrapped in config.Chunking!.Secrets)
        {
            if (keys.TryFind(wrapped.KeyId, out var key))
                return DataKeyWrapper.Unwrap(key, wrapped.Wrapped, AssociatedData(config));
        }
        return null;
    }

    private static BackupKeyException NoKeyFor(IBackupStore store, ChunkingConfig chunking) =>
        new("KeyNotInKeyRing",
            $"The chunk secret of repository {store.Location} is wrapped under key(s) {string.Join(", ", chunking.Secrets.Select(s => s.KeyId))}, none of which was given.",
            "Pass a key file the repository's backups were made with (its id is listed here); backups deduplicate only under the same repository key.");
}
