using System.Diagnostics;
using BackupTools.Core.Engines.Redis.Rdb;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// The network path of Restore-RedisRdb, for a server whose dump file this machine cannot swap (another host, a
/// data dir or config file out of reach, AOF on). The snapshot is loaded into a private scratch server first,
/// which proves it whole and its key counts right before the target is touched; then the safety backup; then
/// the target is emptied and every key replayed with DUMP/RESTORE; then its key counts and a sample of values are
/// compared with the scratch server. On failure the safety backup is replayed the same way.
/// </summary>
public sealed partial class RedisRestoreOperation
{
    private const int SampledKeys = 200;

    private RedisRestoreResult RestoreByReplay(BackupRepository repository, BackupManifest manifest, RedisRestoreRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var target = request.Target;
        var executable = RedisServerBinary.Locate(null);
        using var staged = LoadIntoScratch(repository, manifest, request, executable, cancel);
        var (differences, expired) = RedisKeyCounts.Compare(RedisKeyCounts.Recorded(manifest), staged.Keyspace());
        if (differences.Count > 0)
            throw new BackupIntegrityException("RestoreVerificationFailed", $"Backup {manifest.Id} loaded with other key counts than its manifest ({string.Join("; ", differences.Take(5))}); {target} was not touched.");

        var safetyId = TakeSafetyBackup(repository, request, manifest, cancel);
        try
        {
            var loaded = ReplayInto(staged, target, manifest.Id, cancel);
            return Result(request, manifest, RedisRestoreMethod.Replay, "", safetyId, loaded, expired, clock.Elapsed,
                $"key counts per database and {SampledKeys} sampled values compared with the backup loaded in a scratch server");
        }
        catch (Exception e) when (e is not OperationCanceledException || cancel.IsCancellationRequested)
        {
            throw RollBackReplay(e, repository, safetyId, request, executable);
        }
    }

    private RedisScratchServer LoadIntoScratch(BackupRepository repository, BackupManifest manifest, RedisRestoreRequest request, string executable, CancellationToken cancel)
    {
        observer.Progress(Activity, $"{manifest.Id}: loading into a private scratch server", 0, null);
        return RedisScratchServer.Start(executable, file =>
        {
            using var data = repository.OpenObject(manifest, BackupManifest.DataRole, request.Keys, cancel);
            try
            {
                SnapshotPipe.Run(data, file, checksum: true, cancel);
            }
            catch (RdbFormatException e)
            {
                throw new BackupIntegrityException("RedisRdbInvalid", $"Backup {manifest.Id} is not a whole RDB snapshot: it {e.Message}; the server was not touched.");
            }
            data.VerifyToEnd();
        }, request.StartTimeout, cancel).Server;
    }

    /// <summary>Replaces the target's data with the scratch server's and proves it: key counts per database and sampled values.</summary>
    private IReadOnlyList<RdbDatabase> ReplayInto(RedisScratchServer staged, RedisTarget target, string id, CancellationToken cancel)
    {
        var expected = staged.Keyspace();
        var total = expected.Sum(d => d.Keys);
        observer.Verbose($"Replaying {total} keys of {id} into {target}.");
        RedisKeyReplay.Replace(staged.Target, target, copied => observer.Progress(Activity, $"{target}: replaying keys", copied, total), cancel);
        IReadOnlyList<RdbDatabase> loaded;
        using (var inspector = RedisInspector.Open(target)) loaded = inspector.Keyspace();
        var (differences, _) = RedisKeyCounts.Compare(expected, loaded);
        if (differences.Count > 0)
            throw new BackupIntegrityException("RestoreVerificationFailed", $"{target} holds other key counts than backup {id} after the replay ({string.Join("; ", differences.Take(5))}).");
        var wrong = RedisKeyReplay.SampleDifferences(staged.Target, target, SampledKeys);
        if (wrong.Count > 0)
            throw new BackupIntegrityException("RestoreVerificationFailed", $"{target} holds other values than backup {id} after the replay ({string.Join("; ", wrong.Take(5))}).");
        return loaded;
    }

    private Exception RollBackReplay(Exception cause, BackupRepository repository, string? safetyId, RedisRestoreRequest request, string executable)
    {
        if (safetyId is null)
            return new BackupToolsException("RedisRestoreFailed", FailureKind.ExternalToolFailure,
                $"Restore failed ({cause.Message.TrimEnd('.')}); there is no safety backup (-SkipSafetyBackup), so {request.Target} may hold part of the data.", "Restore again.", cause);
        observer.Warning($"Restore failed ({cause.Message.TrimEnd('.')}); replaying safety backup {safetyId} into {request.Target}.");
        try
        {
            using var previous = LoadIntoScratch(repository, repository.GetManifest(safetyId), request, executable, CancellationToken.None);
            ReplayInto(previous, request.Target, safetyId, CancellationToken.None);
        }
        catch (Exception e)
        {
            return new BackupToolsException("RedisRestoreRollbackFailed", FailureKind.WriteError,
                $"Restore failed ({cause.Message.TrimEnd('.')}) and replaying the previous data failed too ({e.Message.TrimEnd('.')}).",
                $"Safety backup {safetyId} holds the previous data: Restore-RedisRdb -Id {safetyId}.", cause);
        }
        return cause is BackupToolsException known ? known : new BackupToolsException("RedisRestoreFailed", FailureKind.ExternalToolFailure,
            $"Restore failed ({cause.Message.TrimEnd('.')}); the previous data was replayed back from safety backup {safetyId}.", null, cause);
    }
}
