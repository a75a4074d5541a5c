using BackupTools.Core.Audit;
using System.Diagnostics;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Replication;

/// <summary>
/// Copies backups from one repository into another, verbatim: each object streamed through a SHA-256/size
/// check against the source manifest, committed at the destination, and the manifest written last — so the
/// destination never lists a backup it does not completely hold. A chunked backup, or any backup going into a
/// format-2 repository, is re-encoded instead (<see cref="BackupReencoder"/>: needs keys). A backup already at the
/// destination is compared by its raw content, never overwritten. <see cref="CopyLocked"/> needs the destination's writer lock.
/// </summary>
public sealed class BackupCopier(BackupRepository source, BackupRepository destination, IOperationObserver observer, string destinationParameter)
{
    public const string Activity = "Copy backup";

    /// <summary>Re-read the objects of a backup already at the destination (else sizes and manifest hashes only).</summary>
    public bool RehashExisting { get; init; } = true;

    /// <summary>Keys that read the source's encrypted backups (re-encoding only: verbatim copies need none).</summary>
    public BackupKeyRing? SourceKeys { get; init; }

    /// <summary>Keys that encrypt re-encoded copies at the destination (its current key encrypts); default: <see cref="SourceKeys"/>.</summary>
    public BackupKeyRing? DestinationKeys { get; init; }

    /// <summary>The parameter that gives <see cref="DestinationKeys"/>, for errors.</summary>
    public string DestinationKeyParameter { get; init; } = "TargetKeyFile";

    private BackupKeyRing? WritingKeys => DestinationKeys is { IsEmpty: false } ? DestinationKeys : SourceKeys;

    /// <summary>
    /// <paramref name="target"/> preceded by every backup it builds on that the destination lacks, oldest
    /// first: an incremental is useless without its chain, so its parents travel with it.
    /// </summary>
    public IReadOnlyList<BackupManifest> ChainToCopy(BackupManifest target, CancellationToken cancel = default)
    {
        var chain = new List<BackupManifest> { target };
        var current = target;
        while (current.ParentId != null)
        {
            if (chain.Count > 10_000) throw new BackupIntegrityException("BackupChainCycle", $"The chain of {target.Id} does not end in a full backup.");
            if (!source.Store.Exists(BackupRepository.ManifestKey(current.ParentId), cancel))
            {
                if (destination.Store.Exists(BackupRepository.ManifestKey(current.ParentId), cancel)) break; // pruned at the source, kept here
                throw ReplicationErrors.ParentMissing(current, source.Location, destination.Location);
            }
            var parent = source.GetManifest(current.ParentId, cancel);
            if (destination.Store.Exists(BackupRepository.ManifestKey(parent.Id), cancel))
            {
                // Building on a parent of the same id but other content would make the copy unrestorable.
                CheckExisting(parent, rehash: false, cancel);
                break;
            }
            chain.Add(parent);
            current = parent;
        }
        chain.Reverse();
        return chain;
    }

    /// <summary>Refuses what the destination cannot take, before anything is written.</summary>
    public void CheckCopyable(BackupManifest manifest)
    {
        if (manifest.Layout is not (BackupManifest.SingleObjectLayout or BackupManifest.ChunkedLayout)) throw ReplicationErrors.LayoutUnsupported(manifest);
        var folder = $"{BackupRepository.BackupsPrefix}{manifest.Id}/";
        foreach (var (role, obj) in manifest.Objects)
        {
            // A manifest names its own keys: never let one steer writes outside its backup's folder.
            if (!obj.Key.StartsWith(folder, StringComparison.Ordinal) || obj.Key.Contains("..", StringComparison.Ordinal)
                || obj.Key.EndsWith("/manifest.json", StringComparison.Ordinal))
                throw ReplicationErrors.ObjectKeyInvalid(manifest, role, obj.Key);
        }
        if (BackupReencoder.Needed(manifest, destination))
        {
            // Decrypting the source and encrypting at the destination: both keys are needed before anything is written.
            if (manifest.Encryption != null && SourceKeys is not { IsEmpty: false })
                throw ReplicationErrors.KeyRequired("KeyFile", manifest, source.Location, forDestination: false);
            if (WritingKeys is not { IsEmpty: false })
                throw ReplicationErrors.KeyRequired(DestinationKeyParameter, manifest, destination.Location, forDestination: true);
        }
        else if (destination.Config.Defaults.RequireEncryption && manifest.Encryption is null)
            throw ReplicationErrors.RequiresEncryption(destinationParameter, manifest, destination.Location);
    }

    /// <summary>
    /// Copies one backup (its parent must already be at the destination); the caller holds the destination's
    /// writer lock. A copy made or refused is audited in the destination's log (a skip changes nothing there).
    /// </summary>
    public SyncResult CopyLocked(BackupManifest manifest, CancellationToken cancel)
    {
        var subject = new AuditSubject("copy", manifest.Cell, manifest.Engine, manifest.Source);
        try
        {
            var result = CopyUnaudited(manifest, cancel);
            if (result.Action == SyncAction.Copied)
                AuditLog.Append(destination, subject, AuditResults.Succeeded, [manifest.Id],
                    $"from {source.Location}: {result.Bytes} bytes copied, {result.ReusedBytes} reused", null, observer);
            return result;
        }
        catch (Exception e)
        {
            AuditLog.Append(destination, subject, AuditResults.Failed, [manifest.Id], $"from {source.Location}: {e.Message}", AuditLog.ErrorIdOf(e), observer);
            throw;
        }
    }

    /// <summary>
    /// Replaces a damaged copy of <paramref name="manifest"/> at the destination (caller holds the writer lock):
    /// its manifest goes first, so nothing lists the backup while objects are re-fetched; intact objects are kept.
    /// </summary>
    public SyncResult RepairLocked(BackupManifest manifest, CancellationToken cancel)
    {
        CheckCopyable(manifest);
        destination.Store.Delete(BackupRepository.ManifestKey(manifest.Id), cancel);
        return CopyLocked(manifest, cancel) with { Action = SyncAction.Repaired };
    }

    private SyncResult CopyUnaudited(BackupManifest manifest, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        CheckCopyable(manifest);
        if (SkipIfPresent(manifest, cancel) is { } skipped) return skipped;
        if (manifest.ParentId != null && !destination.Store.Exists(BackupRepository.ManifestKey(manifest.ParentId), cancel))
            throw ReplicationErrors.ParentMissing(manifest, source.Location, destination.Location);

        if (BackupReencoder.Needed(manifest, destination)) return Reencode(manifest, clock, cancel);

        long copied = 0, reused = 0;
        var total = manifest.Objects.Values.Sum(o => o.StoredBytes);
        var written = new List<string>();
        try
        {
            foreach (var (role, obj) in manifest.Objects)
            {
                cancel.ThrowIfCancellationRequested();
                // A run that was interrupted may have left this object complete: reuse it if its hash matches.
                if (ObjectTransfer.Mismatch(destination.Store, obj, rehash: true, cancel) is null)
                {
                    reused += obj.StoredBytes;
                    observer.Verbose($"{obj.Key} is already complete in {destination.Location}; reused.");
                    continue;
                }
                ObjectTransfer.Copy(source.Store, destination.Store, obj, n =>
                {
                    copied += n;
                    observer.Progress(Activity, $"{manifest.Id} {role}", copied + reused, total);
                }, cancel);
                written.Add(obj.Key);
            }
            RemoveStrays(manifest, cancel);
            cancel.ThrowIfCancellationRequested();
            destination.WriteManifest(manifest, cancel); // the commit point: from here on the copy exists
        }
        catch (BackupIntegrityException)
        {
            // The source is damaged: what was written for it is useless, so don't leave it for a resume.
            foreach (var key in written)
            {
                try { destination.Store.Delete(key); } catch (IOException) { /* swept by the next writer */ }
            }
            throw;
        }
        CarryKeyWraps(manifest, cancel);
        observer.Verbose($"Copied backup {manifest.Id} to {destination.Location} ({copied} bytes, {reused} reused).");
        return Result(manifest, SyncAction.Copied, copied, reused, clock.Elapsed);
    }

    /// <summary>Re-chunks into a format-2 destination or reassembles a chunked backup; the destination's key encrypts.</summary>
    private SyncResult Reencode(BackupManifest manifest, Stopwatch clock, CancellationToken cancel)
    {
        RemoveLeftovers(manifest.Id, new HashSet<string>(), cancel); // what an interrupted copy left: this one writes its own objects
        long read = 0;
        var total = manifest.Objects.Values.Sum(o => o.RawBytes);
        var copy = new BackupReencoder(source, destination, SourceKeys, WritingKeys!).Copy(manifest, n =>
        {
            read += n;
            observer.Progress(Activity, $"{manifest.Id} (re-encoding)", read, total);
        }, cancel);
        var stored = copy.Objects.Values.Sum(o => o.StoredBytes);
        observer.Verbose($"Copied backup {manifest.Id} to {destination.Location} as {copy.Layout} ({read} raw bytes read, {stored} bytes stored).");
        return Result(manifest, SyncAction.Copied, stored, 0, clock.Elapsed);
    }

    /// <summary>
    /// Skipped when the destination already has this backup with the same objects, null when it lacks it;
    /// throws when it holds a different or damaged backup of that id. Only reads, so needs no lock.
    /// </summary>
    public SyncResult? SkipIfPresent(BackupManifest manifest, CancellationToken cancel)
    {
        if (!destination.Store.Exists(BackupRepository.ManifestKey(manifest.Id), cancel)) return null;
        var clock = Stopwatch.StartNew();
        var existing = CheckExisting(manifest, RehashExisting, cancel);
        if (existing.Encryption?.WrappedDataKey == manifest.Encryption?.WrappedDataKey) CarryKeyWraps(manifest, cancel); // a verbatim copy: same data key
        observer.Verbose($"Backup {manifest.Id} is already in {destination.Location} with the same objects; skipped.");
        return Result(manifest, SyncAction.Skipped, 0, 0, clock.Elapsed);
    }

    /// <summary>
    /// Proves a backup of the same id at the destination is the same backup (the same objects with the same raw size and
    /// SHA-256: a re-encoded copy is stored differently) and that its stored objects match its own manifest; returns
    /// its manifest, throws when it is not the same or is damaged.
    /// </summary>
    private BackupManifest CheckExisting(BackupManifest manifest, bool rehash, CancellationToken cancel)
    {
        var existing = destination.GetManifest(manifest.Id, cancel);
        var roles = manifest.Objects.Keys.Order(StringComparer.Ordinal);
        if (!roles.SequenceEqual(existing.Objects.Keys.Order(StringComparer.Ordinal), StringComparer.Ordinal))
            throw ReplicationErrors.DestinationDiffers(manifest, destination.Location, "different objects");
        foreach (var (role, obj) in manifest.Objects)
        {
            var other = existing.Objects[role];
            var sameStoredForm = existing.Layout == manifest.Layout && existing.Encryption?.WrappedDataKey == manifest.Encryption?.WrappedDataKey;
            if (other.Key != obj.Key || other.RawBytes != obj.RawBytes || other.RawSha256 != obj.RawSha256
                || (sameStoredForm && !manifest.IsChunked && (other.StoredBytes != obj.StoredBytes || other.Sha256 != obj.Sha256)))
                throw ReplicationErrors.DestinationDiffers(manifest, destination.Location, $"object '{role}' has another size or hash");
        }
        foreach (var (role, obj) in existing.Objects)
        {
            cancel.ThrowIfCancellationRequested();
            var mismatch = existing.IsChunkedObject(obj) ? ChunkedMismatch(existing, role, rehash, cancel) : ObjectTransfer.Mismatch(destination.Store, obj, rehash, cancel);
            if (mismatch != null) throw ReplicationErrors.DestinationDamaged(obj, destination.Location, mismatch);
        }
        return existing;
    }

    /// <summary>
    /// A chunked copy at the destination: every chunk indexed and its pack present with its size (or, re-hashing, read
    /// whole and checked). Its index is encrypted: without the destination's key it cannot be checked, which is said.
    /// </summary>
    private string? ChunkedMismatch(BackupManifest existing, string role, bool rehash, CancellationToken cancel)
    {
        if (WritingKeys is not { IsEmpty: false } keys || !destination.Config.Chunking!.Secrets.Any(s => keys.TryFind(s.KeyId, out _)))
        {
            observer.Verbose($"{existing.Id} in {destination.Location} is chunked: not checked without the destination's key.");
            return null;
        }
        if (!rehash)
        {
            var (passed, detail) = Repository.Chunked.PackPresenceCheck.Run(destination, existing.Objects[role], keys, cancel);
            return passed ? null : detail;
        }
        try
        {
            using var read = destination.OpenObject(existing, role, keys, cancel);
            read.VerifyToEnd(cancel);
            return null;
        }
        catch (BackupIntegrityException e)
        {
            return $"{e.ErrorId}: {e.Message.TrimEnd('.')}";
        }
    }

    /// <summary>
    /// A rotation at the source re-wrapped this backup's data key (keywraps/&lt;id&gt;.json): the copy gets the same record,
    /// so it opens with the same keys and the old key can be retired everywhere. One atomic replace, only when it differs.
    /// </summary>
    private void CarryKeyWraps(BackupManifest manifest, CancellationToken cancel)
    {
        // A chunked copy's chunks sit in the destination's own packs and index files: the source's record says nothing of them.
        if (manifest.Encryption is null || manifest.IsChunked || KeyWraps.Read(source.Store, manifest.Id) is not { } record) return;
        var existing = KeyWraps.Read(destination.Store, manifest.Id);
        if (existing != null && SameWraps(existing, record)) return;
        KeyWraps.Write(destination.Store, record, cancel);
    }

    private static bool SameWraps(KeyWrapRecord a, KeyWrapRecord b) =>
        a.Wraps.Select(w => (w.KeyId, w.WrappedDataKey)).SequenceEqual(b.Wraps.Select(w => (w.KeyId, w.WrappedDataKey)));

    /// <summary>Objects in the backup's folder the manifest does not name (left by an older interrupted copy).</summary>
    private void RemoveStrays(BackupManifest manifest, CancellationToken cancel) =>
        RemoveLeftovers(manifest.Id, manifest.Objects.Values.Select(o => o.Key).ToHashSet(StringComparer.Ordinal), cancel);

    private void RemoveLeftovers(string id, IReadOnlySet<string> keep, CancellationToken cancel)
    {
        foreach (var key in destination.Store.List($"{BackupRepository.BackupsPrefix}{id}/", cancel).ToList())
            if (!keep.Contains(key)) destination.Store.Delete(key, cancel);
    }

    private SyncResult Result(BackupManifest manifest, SyncAction action, long bytes, long reused, TimeSpan duration) => new()
    {
        Id = manifest.Id,
        Cell = manifest.Cell,
        Kind = manifest.Kind,
        StartedAt = manifest.StartedAt,
        Action = action,
        Bytes = bytes,
        ReusedBytes = reused,
        Duration = duration,
        Source = source.Location,
        Destination = destination.Location,
    };

    /// <summary>A failed result for the sync report; the error itself goes to the error stream too.</summary>
    public SyncResult Failed(BackupManifest manifest, Exception error) => Result(manifest, SyncAction.Failed, 0, 0, TimeSpan.Zero) with
    {
        ErrorId = (error as BackupToolsException)?.ErrorId ?? "UnexpectedFailure",
        Error = error.Message,
    };
}
