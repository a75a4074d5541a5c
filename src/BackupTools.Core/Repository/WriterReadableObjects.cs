using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Encryption;

namespace BackupTools.Core.Repository;

/// <summary>
/// Objects a write-only host reads back (format 1, key pairs): a cell's file-state index. Each has its own data key,
/// wrapped with <see cref="WriterKeyWrap"/> in the manifest object and, after key rotation, in keywraps/&lt;id&gt;.json
/// ("objectKeys"). Content objects never take this path.
/// </summary>
public static class WriterReadableObjects
{
    public static string AssociatedData(string objectKey) => "object:" + objectKey;

    /// <summary>Every wrap of the object's key, newest first: the rotation record's, then the manifest's own.</summary>
    public static IEnumerable<(string KeyId, string Wrapped)> Wraps(ManifestObject expected, string role, KeyWrapRecord? record)
    {
        if (record != null)
            foreach (var wrap in Enumerable.Reverse(record.Wraps))
                if (wrap.ObjectKeys?.GetValueOrDefault(role) is { } wrapped) yield return (wrap.KeyId, wrapped);
        yield return (expected.KeyId!, expected.WrappedKey!);
    }

    /// <summary>Whether some key of the ring opens one of the object's wraps (a write-only host checks before choosing it).</summary>
    public static bool CanOpen(BackupRepository repository, BackupManifest manifest, string role, BackupKeyRing? keys) =>
        keys != null && manifest.Objects.TryGetValue(role, out var expected) && expected.WrappedKey != null &&
        Wraps(expected, role, repository.KeyWrapsOf(manifest.Id)).Any(w => keys.TryFind(w.KeyId, out var key) && WriterKeyWrap.CanUnwrap(key, w.Wrapped));

    /// <summary>Re-wraps every writer-readable object key of the backup from one key to another (key rotation); null when it has none.</summary>
    public static Dictionary<string, string>? Rewrap(BackupManifest manifest, KeyWrapRecord? record, BackupKey from, BackupKey to)
    {
        Dictionary<string, string>? rewrapped = null;
        foreach (var (role, expected) in manifest.Objects.Where(o => o.Value.WrappedKey != null))
        {
            var wrapped = Wraps(expected, role, record).Where(w => w.KeyId == from.Id).Select(w => w.Wrapped).FirstOrDefault();
            if (wrapped is null) continue; // wrapped under another key: it keeps that one
            var objectKey = WriterKeyWrap.Unwrap(from, wrapped, AssociatedData(expected.Key));
            try { (rewrapped ??= new())[role] = WriterKeyWrap.Wrap(to, objectKey, AssociatedData(expected.Key)); }
            finally { Array.Clear(objectKey); }
        }
        return rewrapped;
    }

    public static byte[] Unwrap(BackupRepository repository, BackupManifest manifest, string role, ManifestObject expected, BackupKeyRing? keys)
    {
        var wraps = Wraps(expected, role, repository.KeyWrapsOf(manifest.Id)).ToList();
        if (keys is null || keys.IsEmpty) throw KeyErrors.KeyRequired(manifest.Id, wraps[0].KeyId, manifest.Encryption?.KeyName);
        foreach (var (keyId, wrapped) in wraps)
        {
            if (keys.TryFind(keyId, out var key) && WriterKeyWrap.CanUnwrap(key, wrapped))
                return WriterKeyWrap.Unwrap(key, wrapped, AssociatedData(expected.Key));
        }
        var withoutSecret = keys.Keys.FirstOrDefault(k => !k.HasWriterSecret && wraps.Any(w => w.KeyId == k.Id));
        if (withoutSecret != null) throw KeyErrors.WriterSecretMissing(withoutSecret);
        throw KeyErrors.NotInKeyRing(manifest.Id, wraps.Select(w => (w.KeyId, (string?)null)).Distinct().ToList(), keys.Keys);
    }
}
