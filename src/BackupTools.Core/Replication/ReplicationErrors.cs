using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Replication;

internal static class ReplicationErrors
{
    public static BackupToolsException SameRepository(string parameter, string location) => new BackupInputException(
        "ReplicationSameRepository", parameter, $"{location} is the repository the backups come from.",
        "Give a different repository to copy into.");

    public static BackupToolsException RepositoryMissing(string parameter, string location, bool isDestination) => new BackupInputException(
        "RepositoryNotFound", parameter, $"no BackupTools repository at {location} (repository.json is missing).",
        isDestination
            ? $"Create it first with Initialize-BackupRepository -Path {location} (with -RequireEncryption if the copies must be encrypted), then run again."
            : "Check the path or URI of the repository the backups are in.");

    public static BackupToolsException RequiresEncryption(string parameter, BackupManifest manifest, string location) => new BackupInputException(
        "DestinationRequiresEncryption", parameter,
        $"repository {location} requires encrypted backups and backup {manifest.Id} is not encrypted.",
        "Copy it to a repository that accepts unencrypted backups, or take a new encrypted backup (-KeyFile) at the source.");

    public static BackupToolsException LayoutUnsupported(BackupManifest manifest) => new(
        "BackupLayoutUnsupported", FailureKind.InvalidData,
        $"Backup {manifest.Id} uses the '{manifest.Layout}' layout, which this version cannot copy.", "Upgrade BackupTools.");

    public static BackupToolsException ParentMissing(BackupManifest manifest, string sourceLocation, string destinationLocation) => new(
        "CopyParentMissing", FailureKind.NotFound,
        $"Backup {manifest.Id} ({manifest.Kind}) builds on {manifest.ParentId}, which is neither in {destinationLocation} nor could be copied from {sourceLocation}.",
        "Copy its parent first (Copy-Backup copies missing parents itself when the source still has them); a backup without its chain cannot be restored.");

    public static BackupToolsException ParentFailed(BackupManifest manifest) => new(
        "CopyParentFailed", FailureKind.NotFound,
        $"Backup {manifest.Id} ({manifest.Kind}) was not copied: {manifest.ParentId}, which it builds on, failed to copy in this run.",
        "Fix what made its parent fail (see that error), then sync again.");

    public static BackupToolsException DestinationDiffers(BackupManifest manifest, string location, string detail) => new BackupIntegrityException(
        "DestinationBackupDiffers",
        $"Backup {manifest.Id} already exists in {location} with different content ({detail}); it was not overwritten.",
        "Find out which copy is right (Test-BackupIntegrity on both); remove the wrong one with Remove-Backup, then copy again.");

    public const string DestinationDamagedId = "DestinationObjectDamaged";

    public static BackupToolsException DestinationDamaged(ManifestObject expected, string location, string detail) => new BackupIntegrityException(
        DestinationDamagedId,
        $"{expected.Key} in {location} does not match its manifest ({detail}); the copy there is damaged and was not overwritten.",
        "Run Test-BackupIntegrity on the destination; remove the damaged backup with Remove-Backup -Force and copy it again.");

    public static BackupToolsException SourceDamaged(ManifestObject expected, string location, string detail, Exception? inner = null) => new BackupIntegrityException(
        "SourceObjectDamaged",
        $"{expected.Key} in {location} does not match its manifest ({detail}); nothing of it was kept at the destination.",
        "Run Test-BackupIntegrity on the source; copy this backup from another copy that is intact.", inner);

    /// <summary>A copy that must be decrypted or encrypted (re-chunked into format 2, or reassembled out of it) and has no key for it.</summary>
    public static BackupToolsException KeyRequired(string parameter, BackupManifest manifest, string location, bool forDestination) => new BackupInputException(
        "CopyKeyRequired", parameter,
        forDestination
            ? $"backup {manifest.Id} must be re-encoded for {location} (a format-2 repository re-chunks and encrypts everything it stores; a chunked backup is reassembled and encrypted), and no key was given to encrypt it there."
            : $"backup {manifest.Id} must be re-encoded to be copied ({(manifest.IsChunked ? "it is chunked" : "the destination is format 2")}) and is encrypted, and no key was given to read it in {location}.",
        forDestination
            ? $"Pass -{parameter} with the destination's key (or -KeyFile, which then serves both repositories)."
            : "Pass -KeyFile/-Key with the key the backup was made with (or set BACKUPTOOLS_KEY / BACKUPTOOLS_KEY_FILE).");

    public static BackupToolsException ObjectKeyInvalid(BackupManifest manifest, string role, string key) => new BackupIntegrityException(
        "ManifestObjectKeyInvalid", $"Backup {manifest.Id}: object '{role}' is stored at '{key}', outside backups/{manifest.Id}/.");
}
