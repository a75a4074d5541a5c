using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Encryption;

namespace BackupTools.Core.Repository;

/// <summary>
/// Finds a backup's data key: tries every wrap of it (rotation's newest first, then the manifest's) with the keys given
/// that can read. When none can, the error names the key the backup needs — and says "private key" when the host
/// holds only the public half of the pair.
/// </summary>
public static class BackupDataKey
{
    public static byte[]? Unwrap(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys)
    {
        if (manifest.Encryption is null) return null;
        var wraps = KeyWraps.All(manifest, repository.KeyWrapsOf(manifest.Id));
        var needed = wraps[0];
        if (keys is null || keys.IsEmpty) throw KeyErrors.KeyRequired(manifest.Id, needed.KeyId, needed.KeyName);
        BackupKey? publicOnly = null;
        foreach (var wrap in wraps)
        {
            if (wrap.WrappedDataKey is null || !keys.TryFind(wrap.KeyId, out var key)) continue;
            if (key.CanRead) return DataKeyWrapper.Unwrap(key, wrap.WrappedDataKey, manifest.Id);
            publicOnly ??= key;
        }
        if (publicOnly != null) throw KeyErrors.PrivateKeyRequired(publicOnly, manifest.Id);
        throw KeyErrors.NotInKeyRing(manifest.Id, wraps.Select(w => (w.KeyId, w.KeyName)).Distinct().ToList(), keys.Keys);
    }
}
