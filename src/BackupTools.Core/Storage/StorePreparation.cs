using BackupTools.Core.Errors;
using BackupTools.Core.Storage.S3;

namespace BackupTools.Core.Storage;

/// <summary>Readies an empty location for a new repository: creates the folder or bucket, refuses foreign content.</summary>
public static class StorePreparation
{
    public static void PrepareForNewRepository(IBackupStore store)
    {
        switch (Unwrap(store))
        {
            case LocalBackupStore local:
                if (Directory.Exists(local.Root) && Directory.EnumerateFileSystemEntries(local.Root).Any())
                    throw new BackupInputException("RepositoryFolderNotEmpty", "Path",
                        $"{local.Root} is not empty and is not a repository.", "Choose an empty or new folder so no other files get mixed with backups.");
                PrivateFileSystem.CreateDirectory(local.Root);
                break;
            case S3BackupStore s3:
                s3.EnsureBucket();
                if (s3.List("").Any())
                    throw new BackupInputException("RepositoryFolderNotEmpty", "Path",
                        $"{s3.Location} already holds objects and is not a repository.", "Choose an empty bucket or a new key prefix (s3://bucket/new-prefix).");
                break;
        }
    }

    /// <summary>The backend under retry/dry-run wrappers.</summary>
    public static IBackupStore Unwrap(IBackupStore store) => store switch
    {
        RetryingBackupStore r => Unwrap(r.Inner),
        _ => store,
    };
}
