using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>
/// The repository's chunk secret: keys chunk ids and the chunker's gear table. It is created by the first backup and
/// kept in repository.json wrapped (<see cref="WriterKeyWrap"/>, associated data "chunk-secret:" + repository id) under
/// each key that writes, so any of those keys finds it and a backup with a new current key adds its own wrapping. A key
/// pair wraps it under its writer secret, so a backup host holding only the public key file names chunks and
/// deduplicates (it learns which chunks exist, never their content).
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
        if (!HasWriterWrap(config, current))
        {
            AddWrap(config, current, secret);
            store.Replace(BackupRepository.ConfigKey, RepositoryJson.Serialize(config));
        }
        return secret;
    }

    /// <summary>
    /// Whether the secret is wrapped so that this key's writers open it: a secret key's own wrap, a pair's writer wrap (an
    /// older "ecdh-p384:" wrap opens only with the private key, so a pair gets a writer wrap beside it).
    /// </summary>
    internal static bool HasWriterWrap(RepositoryConfig config, BackupKey key) =>
        config.Chunking!.Secrets.Any(s => s.KeyId == key.Id && (key.Kind == BackupKeyKind.Secret || WriterKeyWrap.IsWriterWrap(s.Wrapped)));

    /// <summary>Adds <paramref name="key"/>'s wrapping of the secret to the config (the caller writes repository.json).</summary>
    internal static void AddWrap(RepositoryConfig config, BackupKey key, ReadOnlySpan<byte> secret) =>
        config.Chunking!.Secrets.Add(new WrappedChunkSecret { KeyId = key.Id, Wrapped = WriterKeyWrap.Wrap(key, secret, AssociatedData(config)) });

    /// <summary>The secret for a reader; a clear error when no given key wraps it.</summary>
    public static byte[] ForReading(IBackupStore store, BackupKeyRing? keys)
    {
        var config = BackupRepository.ReadConfig(store);
        if (keys is null || keys.IsEmpty)
            throw new BackupKeyException("KeyRequired", $"Repository {store.Location} is format v2 (chunked): every backup in it is encrypted and no key was given.",
                "Pass -KeyFile/-Key, or set BACKUPTOOLS_KEY or BACKUPTOOLS_KEY_FILE.");
        return TryUnwrap(config, keys) ?? throw NoKeyFor(store, config.Chunking!);
    }

    internal static byte[]? TryUnwrap(RepositoryConfig config, BackupKeyRing keys)
    {
        BackupKey? withoutWriterSecret = null;
        foreach (var wrapped in config.Chunking!.Secrets)
        {
            if (!keys.TryFind(wrapped.KeyId, out var key)) continue;
            if (WriterKeyWrap.CanUnwrap(key, wrapped.Wrapped)) return WriterKeyWrap.Unwrap(key, wrapped.Wrapped, AssociatedData(config));
            if (!key.HasWriterSecret) withoutWriterSecret = key;
        }
        // The only listed key is an old public key file: say what it lacks instead of "no key".
        if (withoutWriterSecret != null) throw KeyErrors.WriterSecretMissing(withoutWriterSecret);
        return null;
    }

    private static BackupKeyException NoKeyFor(IBackupStore store, ChunkingConfig chunking) =>
        new("KeyNotInKeyRing",
            $"The chunk secret of repository {store.Location} is wrapped under key(s) {string.Join(", ", chunking.Secrets.Select(s => s.KeyId))}, none of which was given.",
            "Pass a key file the repository's backups were made with (its id is listed here); backups deduplicate only under the same repository key.");
}
