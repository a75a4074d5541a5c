using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.S3Bucket;

/// <summary>
/// The S3 bucket engine (Backup-S3Bucket). In a plan: `type: s3bucket`, `uri: s3://bucket/prefix?endpoint=…`,
/// `user:` the access key id, `password:` the secret key (a secret reference); a plan restore is in place, after a safety backup.
/// </summary>
public static class S3BucketEngine
{
    public static readonly BackupEngine Descriptor = new()
    {
        Name = S3BucketBackupOperation.EngineName,
        DisplayName = "S3 bucket",
        Validators = new Dictionary<string, IContentValidator>
        {
            [BackupManifest.DataRole] = new S3BucketDataValidator(),
            [S3BucketIndex.ObjectRole] = new S3BucketIndexValidator(),
        },
        RestoreTest = Ability<IRestoreTest>.NotApplicable("a test restore needs a bucket to write into; Restore-S3Bucket proves every restore by reading each object's SHA-256 back"),
        RestoreCmdlet = "Restore-S3Bucket",
        RestorePriority = RestorePriorities.Files,
        Plan = Ability.Of(new PlanEngineSupport
        {
            Kind = "s3bucket",
            Requires = ["uri"],
            Options = ["uri"],
            DefaultPort = null,
            Backup = c => new S3BucketBackupOperation(c.Observer).Run(new S3BucketBackupRequest(c.Repository, c.Source.Option("uri")!, Credential(c.Source.User, c.Password),
                c.Cell.Name, false, null, c.Keys, c.LockTimeout, c.Tags), c.Cancel),
            Restore = c => new S3BucketRestoreOperation(c.Observer).Run(new S3BucketRestoreRequest(c.Repository, c.Manifest.Id, null, Credential(c.Source.User, c.Password),
                true, c.Keys, c.LockTimeout, (_, _) => true, c.SkipSafetyBackup), c.Cancel),
            SameSource = (m, s) => s.Option("uri") is { } uri && m.Source == Storage.S3.S3Location.Parse(uri).ToString(),
            Destination = s => s.Option("uri") ?? "",
        }),
    };

    private static StorageCredential? Credential(string? user, string? password) => user is null || password is null ? null : new StorageCredential(user, password);
}
