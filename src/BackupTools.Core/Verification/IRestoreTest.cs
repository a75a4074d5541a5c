using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>
/// An engine's -RestoreTest: restore the backup somewhere throwaway, compare it with what the manifest recorded,
/// time it, clean up. Adds one "restore-test" check; returns whether it passed and how long the restore took.
/// </summary>
public interface IRestoreTest
{
    (bool Passed, TimeSpan? Duration) Run(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys, RestoreTestTarget target,
        List<IntegrityCheck> checks, IOperationObserver observer, CancellationToken cancel);
}
