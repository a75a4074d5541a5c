using BackupTools.Core.Audit;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;

namespace BackupTools.Core.Repository;

/// <summary>The outcome for one backup a caller asked to delete.</summary>
public sealed record BackupRemoval(string Id, bool Removed, BackupToolsException? Error = null);

/// <summary>
/// Deletes backups. The manifest goes first — the backup stops existing in one atomic step — then its
/// objects and its verification record; a crash in between leaves only objects without a manifest, which
/// the next writer sweeps. Backups that another remaining backup builds on are refused (BackupHasDependents)
/// unless forced. Confirmation (ShouldProcess) is asked before the writer lock is taken, so a prompt never
/// holds the repository; under the lock everything is checked again against the manifests as they are then.
/// </summary>
public sealed class BackupDeleter(BackupRepository repository, IOperationObserver observer)
{
    /// <summary>
    /// Deletes <paramref name="ids"/>, newest first so dependents go before the backups they build on.
    /// <paramref name="stillDeletable"/> (optional) re-checks, under the lock, which ids may still go.
    /// </summary>
    public IReadOnlyList<BackupRemoval> Remove(IReadOnlyCollection<string> ids, bool force, TimeSpan lockTimeout,
        Func<string, string, bool> shouldProcess, CancellationToken cancel,
        Func<IReadOnlyList<BackupManifest>, IReadOnlySet<string>>? stillDeletable = null, string purpose = "Remove-Backup")
    {
        var results = new Dictionary<string, BackupRemoval>(StringComparer.Ordinal);
        var manifests = repository.ListBackups(observer, cancel);
        var byId = manifests.ToDictionary(m => m.Id, StringComparer.Ordinal);
        var approved = new List<BackupManifest>();
        // Asking, count the whole batch as leaving (so -WhatIf shows a chain going as a whole); a "no" for a
        // dependent at -Confirm is caught under the lock, where only what was really removed counts.
        var leaving = ids.ToHashSet(StringComparer.Ordinal);
        foreach (var id in ids.Distinct(StringComparer.Ordinal).OrderByDescending(id => byId.TryGetValue(id, out var m) ? m.StartedAt : DateTimeOffset.MinValue).ThenByDescending(id => id, StringComparer.Ordinal))
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                BackupId.Validate(id);
                if (!byId.TryGetValue(id, out var manifest)) throw WhyNotListed(id);
                if (manifest.Layout is not (BackupManifest.SingleObjectLayout or BackupManifest.ChunkedLayout))
                    throw new BackupToolsException("BackupLayoutUnsupported", FailureKind.InvalidData,
                        $"Backup {id} uses the '{manifest.Layout}' layout, which this version cannot delete safely.", "Upgrade BackupTools.");
                var dependents = CheckDependents(manifest, manifests, leaving, force);
                var action = $"Delete {manifest.Kind} backup of '{manifest.Cell}' from {manifest.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z"
                    + (dependents.Count > 0 ? $", breaking the chain of {string.Join(", ", dependents)}" : "");
                if (!shouldProcess(id, action)) { results[id] = new BackupRemoval(id, false); continue; }
                approved.Add(manifest);
            }
            catch (BackupToolsException e)
            {
                results[id] = new BackupRemoval(id, false, e);
                var known = byId.GetValueOrDefault(id);
                AuditLog.Append(repository, new AuditSubject("delete", known?.Cell, known?.Engine, known?.Source), AuditResults.Failed, [id],
                    $"{purpose}: {e.Message}", e.ErrorId, observer);
            }
        }
        try
        {
            if (approved.Count > 0) DeleteApproved(approved, force, lockTimeout, stillDeletable, purpose, results, cancel);
        }
        catch (BackupToolsException e) // e.g. RepositoryLocked: none of the approved ones was touched
        {
            foreach (var m in approved.Where(m => !results.ContainsKey(m.Id))) results[m.Id] = new BackupRemoval(m.Id, false, e);
        }
        return ids.Distinct(StringComparer.Ordinal).Select(id => results[id]).ToList();
    }

    private void DeleteApproved(List<BackupManifest> approved, bool force, TimeSpan lockTimeout,
        Func<IReadOnlyList<BackupManifest>, IReadOnlySet<string>>? stillDeletable, string purpose,
        Dictionary<string, BackupRemoval> results, CancellationToken cancel)
    {
        using var writerLock = WriterLock.AcquireExclusive(repository, purpose, lockTimeout, cancel);
        RepositorySweeper.Sweep(repository, observer); // debris a least-privilege backup credential could not delete
        var current = repository.ListBackups(observer, cancel).ToList(); // exact under the exclusive lease: no writer runs
        var allowed = stillDeletable?.Invoke(current);
        var removed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var manifest in approved)
        {
            var id = manifest.Id;
            try
            {
                cancel.ThrowIfCancellationRequested();
                var now = current.FirstOrDefault(m => m.Id == id) ?? throw RepositoryErrors.BackupNotFound(repository.Location, id);
                if (allowed != null && !allowed.Contains(id))
                {
                    observer.Warning($"Backup {id} was not deleted: the repository changed meanwhile and the policy now keeps it.");
                    results[id] = new BackupRemoval(id, false);
                    continue;
                }
                // The listing is the catalog's copy; the folder's own manifest must still be bound to it, so a swapped or
                // forged manifest is refused (BackupManifestMismatch), never deleted under the catalog's id.
                repository.GetManifest(id, cancel);
                var dependents = CheckDependents(now, current, removed, force);
                if (dependents.Count > 0)
                    observer.Warning($"-Force: deleting {id} leaves {string.Join(", ", dependents)} without the backup they build on; they can no longer be restored.");
                DeleteLocked(now);
                removed.Add(id);
                AuditLog.Append(repository, new AuditSubject("delete", now.Cell, now.Engine, now.Source), AuditResults.Succeeded, [id],
                    $"{purpose}: {now.Kind} from {now.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z{(dependents.Count > 0 ? $" (forced; breaks {string.Join(", ", dependents)})" : "")}", null, observer);
                results[id] = new BackupRemoval(id, true);
                observer.Verbose($"Deleted backup {id}.");
            }
            catch (BackupToolsException e)
            {
                results[id] = new BackupRemoval(id, false, e);
                AuditLog.Append(repository, new AuditSubject("delete", manifest.Cell, manifest.Engine, manifest.Source), AuditResults.Failed, [id],
                    $"{purpose}: {e.Message}", e.ErrorId, observer);
            }
        }
        if (removed.Count > 0) Catalog.CatalogMaintenance.CompactAfterDeletions(repository, observer);
    }

    /// <summary>
    /// The error for an id the listing left out: reading its folder directly names the cause (its manifest belongs
    /// to another backup: BackupManifestMismatch) so a swapped folder is refused, never deleted under a wrong id.
    /// </summary>
    private BackupToolsException WhyNotListed(string id)
    {
        try { repository.GetManifest(id); }
        catch (BackupToolsException e) { return e; }
        return RepositoryErrors.BackupNotFound(repository.Location, id); // appeared after the listing: ask again
    }

    /// <summary>
    /// Deletes one backup; the caller holds the writer lock. A chunked backup's objects are names only: its chunks stay
    /// in their packs (other backups may share them) until a prune finds no kept manifest referencing them.
    /// </summary>
    public void DeleteLocked(BackupManifest manifest)
    {
        var store = repository.Store;
        var prefix = $"{BackupRepository.BackupsPrefix}{manifest.Id}/";
        repository.DeleteManifest(manifest.Id); // from here on the backup does not exist (a catalog tombstone first)
        foreach (var key in manifest.Objects.Values.Select(o => o.Key).Concat(store.List(prefix).ToList()).Distinct(StringComparer.Ordinal))
            if (key.StartsWith(prefix, StringComparison.Ordinal) && store.Exists(key)) store.Delete(key);
        VerificationLog.Delete(repository, manifest.Id);
        KeyWraps.Delete(store, manifest.Id);
    }

    /// <summary>Backups (other than those in <paramref name="ignoring"/>) that build on <paramref name="target"/>, directly or through others.</summary>
    public static IReadOnlyList<string> DependentsOf(BackupManifest target, IReadOnlyList<BackupManifest> manifests, IReadOnlySet<string>? ignoring = null)
    {
        var found = new List<string>();
        var frontier = new Queue<string>([target.Id]);
        var seen = new HashSet<string>(StringComparer.Ordinal) { target.Id };
        while (frontier.Count > 0)
        {
            var parent = frontier.Dequeue();
            foreach (var child in manifests.Where(m => m.ParentId == parent && seen.Add(m.Id)))
            {
                frontier.Enqueue(child.Id);
                if (ignoring?.Contains(child.Id) != true) found.Add(child.Id);
            }
        }
        return found;
    }

    private static IReadOnlyList<string> CheckDependents(BackupManifest manifest, IReadOnlyList<BackupManifest> manifests, IReadOnlySet<string> leaving, bool force)
    {
        var dependents = DependentsOf(manifest, manifests, leaving);
        if (dependents.Count > 0 && !force)
            throw new BackupToolsException("BackupHasDependents", FailureKind.InvalidArgument,
                $"Backup {manifest.Id} ({manifest.Kind}) is needed to restore {string.Join(", ", dependents)}.",
                "Delete those first (or together with it), or pass -Force to delete it anyway and leave them unrestorable.");
        return dependents;
    }
}
