using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// What Get-BackupStatus and the metrics say about a cell's WAL series beyond its age: how long since WAL last became
/// durable (the archiver lag, the live RPO), the base backup it builds on, and a hole after that base backup — recovery
/// stops before it, however fresh the newest WAL is.
/// </summary>
public static class WalArchiveHealth
{
    /// <summary>The point-in-time facts of a WAL series; null for any other series.</summary>
    public static WalArchiveStatus? Status(BackupManifest newestWal, IReadOnlyList<BackupManifest> manifests, DateTimeOffset now)
    {
        if (newestWal.Engine != WalArchive.EngineName) return null;
        var newestBase = manifests.Where(m => m.Engine == PgBaseBackupOperation.EngineName && m.EngineInfo != null
            && string.Equals(m.Cell, newestWal.Cell, StringComparison.OrdinalIgnoreCase)).MaxBy(m => m.CompletedAt);
        return new WalArchiveStatus
        {
            ArchiverLag = NotNegative(now - newestWal.CompletedAt),
            NewestWal = WalArchive.Files(newestWal).Select(f => f.Name).Max(StringComparer.Ordinal),
            Gap = newestBase is null ? null : WalRestorePlan.For(new WalArchive(manifests, newestWal.Cell), newestBase).Gap,
            BaseBackupId = newestBase?.Id,
            BaseBackupAge = newestBase is null ? null : NotNegative(now - newestBase.CompletedAt),
        };
    }

    public static IEnumerable<string> Warnings(WalArchiveStatus? wal)
    {
        if (wal is { Gap: { } gap })
            yield return $"WAL gap after base backup {wal.BaseBackupId}: {gap}; point-in-time recovery stops before it";
    }

    private static TimeSpan NotNegative(TimeSpan span) => span < TimeSpan.Zero ? TimeSpan.Zero : span;
}
