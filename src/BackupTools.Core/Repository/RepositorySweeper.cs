using BackupTools.Core.Operations;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>
/// Removes what dead writers left: temp parts and backup folders that never got a manifest. Run under a writer
/// lease; other writers may be mid-backup, so a folder is kept while a live lease claims its backup id
/// (<see cref="WriterLock.InFlight"/>) or when it got its manifest meanwhile. Readers write verification
/// records through tmp/ without the lock, so parts a live process may still be writing are spared
/// (<see cref="TempPartName.MayBeInUse"/>).
/// </summary>
public static class RepositorySweeper
{
    /// <param name="resuming">Backups whose objects a copy is about to complete: their folders are kept for reuse.</param>
    public static int Sweep(BackupRepository repository, IOperationObserver observer, IReadOnlySet<string>? resuming = null)
    {
        var removed = 0;
        var denied = 0;
        var store = repository.Store;
        var now = DateTimeOffset.UtcNow;
        foreach (var key in store.List(LocalBackupStore.TempFolder + "/").ToList())
        {
            if (TempPartName.MayBeInUse(key[(key.LastIndexOf('/') + 1)..], now)) continue;
            if (TryDelete(store, key)) removed++; else denied++;
        }
        var keys = store.List(BackupRepository.BackupsPrefix).ToList();
        var withManifest = keys.Where(k => k.EndsWith("/manifest.json", StringComparison.Ordinal)).Select(k => k[..k.LastIndexOf('/')]).ToHashSet();
        // Read after listing: a writer claims a backup in its lease before storing its first object, so every
        // in-flight object listed above is claimed by a lease read here, or its writer is gone (or done: re-checked below).
        var inFlight = WriterLock.InFlight(store);
        var finished = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var key in keys.Where(k => !withManifest.Contains(k[..k.LastIndexOf('/')]) && resuming?.Contains(BackupIdOf(k)) != true))
        {
            var id = BackupIdOf(key);
            if (inFlight.Unknown || inFlight.Writing.Contains(id)) continue;
            if (!finished.TryGetValue(id, out var done)) done = finished[id] = store.Exists(BackupRepository.ManifestKey(id));
            if (done) continue; // completed and released after our listing
            if (TryDelete(store, key)) removed++; else denied++;
        }
        if (removed > 0) observer.Verbose($"Removed {removed} object(s) left by an interrupted writer.");
        if (denied > 0)
            observer.Warning($"{denied} object(s) left by an interrupted writer stay in {repository.Location}: this credential may not delete (a least-privilege backup credential). " +
                             "The next Remove-Backup or Invoke-BackupRetention run with the maintenance credential removes them.");
        return removed;
    }

    /// <summary>A backup credential without delete permission must not fail the backup over debris: leave it to maintenance.</summary>
    private static bool TryDelete(IBackupStore store, string key)
    {
        try
        {
            store.Delete(key);
            return true;
        }
        catch (Errors.BackupToolsException e) when (e.ErrorId == "S3AccessDenied") { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static string BackupIdOf(string key) => key[BackupRepository.BackupsPrefix.Length..].Split('/')[0];
}
