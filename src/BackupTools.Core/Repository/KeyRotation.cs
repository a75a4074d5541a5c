using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Pipeline.Encryption;

namespace BackupTools.Core.Repository;

/// <summary>What rotation did to one backup (a chunked backup: to the index entries of its packs).</summary>
public enum KeyRotationOutcome { Rewrapped, AlreadyRotated, OtherKey, NotEncrypted }

/// <summary>One backup's rotation: the key it needed before and needs now.</summary>
public sealed record KeyRotationResult(string Id, string Cell, KeyRotationOutcome Outcome, string? NeededBefore, string? NeedsNow);

/// <summary>
/// Update-BackupKey's core: re-wraps the data key of every backup that needs the old key with the new key, without
/// touching data objects or manifests (format 2: see <see cref="Chunked.ChunkedKeyRotation"/>, packs untouched). Per backup, two atomic replaces of keywraps/&lt;id&gt;.json: first the new wrap is
/// added beside the old one, then the old one is dropped — so at every instant the backup opens with the old key (the
/// manifest's wrap, or the record's) or the new one, and a rerun after a crash finishes the job. Runs under the writer
/// lease, so two rotations (or a deletion) never race on a record.
/// </summary>
public sealed class KeyRotation(IOperationObserver observer)
{
    /// <summary>Test seam: called after each record write (a throw there simulates a crash at that point).</summary>
    internal Action<string, int>? AfterWrite { get; init; }

    /// <summary>
    /// Fault-test hook for process kills: milliseconds to pause after each write, so a test's SIGKILL lands mid-rotation
    /// (tests/…/Keys/RotationKillTests). Unset in normal use.
    /// </summary>
    public const string PauseVariable = "BACKUPTOOLS_FAULT_ROTATION_PAUSE_MS";
    private static readonly int PauseMs = int.TryParse(Environment.GetEnvironmentVariable(PauseVariable), out var ms) ? ms : 0;

    private void Wrote(string what, int step)
    {
        AfterWrite?.Invoke(what, step);
        if (PauseMs > 0) Thread.Sleep(PauseMs);
    }

    public IReadOnlyList<KeyRotationResult> Run(BackupRepository repository, BackupKey from, BackupKey to, TimeSpan lockTimeout, CancellationToken cancel)
    {
        if (from.Id == to.Id)
            throw new BackupInputException("KeyRotationSameKey", "To", $"-From and -To are the same key ({from.Id}).", "Pass the new key's file as -To (create it with New-BackupKey).");
        if (!from.CanRead) throw KeyErrors.PrivateKeyRequired(from, "", "Update-BackupKey -From: the data keys wrapped with it");
        using var writerLock = WriterLock.AcquireShared(repository, "key rotation", lockTimeout, cancel);
        var manifests = repository.ListManifests(observer, cancel);
        var results = new List<KeyRotationResult>();
        if (repository.Config.IsChunked)
            results.AddRange(new Chunked.ChunkedKeyRotation(observer, Wrote).Run(repository, manifests.Where(m => m.IsChunked).ToList(), from, to, cancel));
        foreach (var manifest in manifests.Where(m => !m.IsChunked))
        {
            cancel.ThrowIfCancellationRequested();
            var result = RotateOne(repository, manifest, from, to, cancel);
            if (result.Outcome == KeyRotationOutcome.Rewrapped) observer.Verbose($"{manifest.Id}: data key re-wrapped from {from.Id} to {to.Id}.");
            results.Add(result);
        }
        return results;
    }

    private KeyRotationResult RotateOne(BackupRepository repository, BackupManifest manifest, BackupKey from, BackupKey to, CancellationToken cancel)
    {
        if (manifest.Encryption is null) return new(manifest.Id, manifest.Cell, KeyRotationOutcome.NotEncrypted, null, null);
        var record = KeyWraps.Read(repository.Store, manifest.Id); // fresh: a crashed run may have left either step done
        var needed = KeyWraps.Current(manifest, record)!;
        var wraps = record?.Wraps ?? [];
        var hasNew = wraps.Any(w => w.KeyId == to.Id);
        if (!hasNew && needed.KeyId != from.Id) return new(manifest.Id, manifest.Cell, KeyRotationOutcome.OtherKey, needed.KeyId, needed.KeyId);
        var outcome = KeyRotationOutcome.AlreadyRotated;
        if (!hasNew)
        {
            var dataKey = DataKeyWrapper.Unwrap(from, needed.WrappedDataKey!, manifest.Id); // not chunked: every wrap holds the data key
            try
            {
                var fresh = new KeyWrap
                {
                    KeyId = to.Id, KeyName = to.Name, KeyCreatedAt = to.KnownCreatedAt,
                    WrappedDataKey = DataKeyWrapper.Wrap(to, dataKey, manifest.Id), WrappedAt = DateTimeOffset.UtcNow,
                    ObjectKeys = WriterReadableObjects.Rewrap(manifest, record, from, to),
                };
                if (to.CanRead && !DataKeyWrapper.Unwrap(to, fresh.WrappedDataKey!, manifest.Id).AsSpan().SequenceEqual(dataKey))
                    throw new BackupKeyException("KeyRotationCheckFailed", $"Re-wrapping {manifest.Id} did not give back its data key; nothing was changed.");
                wraps = [.. wraps, fresh];
            }
            finally { Array.Clear(dataKey); }
            repository.WriteKeyWraps(new KeyWrapRecord { Id = manifest.Id, Wraps = wraps }, cancel);   // step 1: old and new side by side
            Wrote(manifest.Id, 1);
            outcome = KeyRotationOutcome.Rewrapped;
        }
        if (wraps.Any(w => w.KeyId == from.Id))
        {
            repository.WriteKeyWraps(new KeyWrapRecord { Id = manifest.Id, Wraps = wraps.Where(w => w.KeyId != from.Id).ToList() }, cancel); // step 2: old dropped
            Wrote(manifest.Id, 2);
            outcome = KeyRotationOutcome.Rewrapped;
        }
        return new(manifest.Id, manifest.Cell, outcome, needed.KeyId, to.Id);
    }
}
