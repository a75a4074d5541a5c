using BackupTools.Core.Errors;

namespace BackupTools.Core.Repository;

/// <summary>Chains of full → differential/incremental backups, resolved from manifests alone.</summary>
public static class BackupChain
{
    /// <summary>The backups needed to restore <paramref name="target"/>, base full first.</summary>
    public static IReadOnlyList<BackupManifest> Resolve(BackupManifest target, IReadOnlyDictionary<string, BackupManifest> byId)
    {
        var chain = new List<BackupManifest> { target };
        var current = target;
        while (current.Kind != BackupKind.Full)
        {
            if (current.ParentId is null || !byId.TryGetValue(current.ParentId, out var parent))
                throw new BackupToolsException("BackupChainBroken", FailureKind.NotFound,
                    $"Backup {current.Id} ({current.Kind}) needs {current.ParentId ?? "a parent"}, which is not in the repository.",
                    "Restore an older complete chain, or copy the missing backup back into the repository.");
            if (chain.Count > 10_000) throw new BackupIntegrityException("BackupChainCycle", $"The chain of {target.Id} does not end in a full backup.");
            chain.Add(parent);
            current = parent;
        }
        chain.Reverse();
        return chain;
    }

    /// <summary>The parent a new backup of this kind should diff against, or null if it must be a full.</summary>
    public static BackupManifest? ParentFor(BackupKind kind, IEnumerable<BackupManifest> cellBackups) => kind switch
    {
        BackupKind.Incremental => cellBackups.OrderBy(m => m.StartedAt).LastOrDefault(),
        BackupKind.Differential => cellBackups.Where(m => m.Kind == BackupKind.Full).OrderBy(m => m.StartedAt).LastOrDefault(),
        _ => null,
    };
}
