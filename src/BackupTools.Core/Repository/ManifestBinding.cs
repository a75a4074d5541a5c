using BackupTools.Core.Errors;

namespace BackupTools.Core.Repository;

/// <summary>
/// Binds a manifest to its place: the id inside must be the folder it was read from, and every object must be
/// named backups/&lt;id&gt;/&lt;role&gt;. Checked on every read, so a manifest exchanged with or copied from another
/// backup's folder is refused instead of restoring, verifying or deleting the other backup's data under this
/// id. In an encrypted repository the id is also the associated data of the wrapped data key, so an id edited
/// to match the folder does not unwrap: together the two bind folder, id and objects.
/// </summary>
public static class ManifestBinding
{
    public const string ErrorId = "BackupManifestMismatch";

    /// <summary>Throws BackupManifestMismatch unless <paramref name="manifest"/>, read from <paramref name="manifestKey"/>, belongs there.</summary>
    public static void Check(string manifestKey, BackupManifest manifest, string location)
    {
        var folder = FolderOf(manifestKey);
        if (!string.Equals(manifest.Id, folder, StringComparison.Ordinal))
            throw Mismatch(location, folder, $"its manifest names backup '{manifest.Id}'");
        foreach (var (role, entry) in manifest.Objects)
        {
            if (!IsPlainRole(role) || !string.Equals(entry.Key, BackupRepository.ObjectKey(folder, role), StringComparison.Ordinal))
                throw Mismatch(location, folder, $"its manifest points its '{role}' object at '{entry.Key}', not {BackupRepository.ObjectKey(folder, role)}");
        }
    }

    /// <summary>"backups/&lt;folder&gt;/manifest.json" → "&lt;folder&gt;".</summary>
    public static string FolderOf(string manifestKey)
    {
        var rest = manifestKey.StartsWith(BackupRepository.BackupsPrefix, StringComparison.Ordinal)
            ? manifestKey[BackupRepository.BackupsPrefix.Length..] : manifestKey;
        var slash = rest.IndexOf('/');
        return slash < 0 ? rest : rest[..slash];
    }

    private static bool IsPlainRole(string role) =>
        role.Length > 0 && role != "." && role != ".." && role != "manifest.json" && role.IndexOfAny(['/', '\\', '\0']) < 0;

    private static BackupIntegrityException Mismatch(string location, string folder, string what) => new(ErrorId,
        $"Backup folder backups/{folder}/ in {location} does not hold its own manifest: {what}. The manifest was exchanged, "
        + "copied or edited, so this backup is not trusted for restore, verification or deletion.",
        $"Put the right manifest.json back into backups/{folder}/ (e.g. from a copy of the repository), or inspect the folder by hand; "
        + "Get-Backup lists the backup again once its manifest matches.");
}
