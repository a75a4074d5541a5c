using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// What Get-BackupStatus says about a cell's WAL series beyond its age: a hole after the newest base backup means
/// point-in-time recovery stops before it, however fresh the newest WAL is.
/// </summary>
public static class WalArchiveHealth
{
    public static IEnumerable<string> Warnings(BackupManifest newestWal, IReadOnlyList<BackupManifest> manifests)
    {
        if (newestWal.Engine != WalArchive.EngineName) yield break;
        var newestBase = manifests.Where(m => m.Engine == PgBaseBackupOperation.EngineName && m.EngineInfo != null
            && string.Equals(m.Cell, newestWal.Cell, StringComparison.OrdinalIgnoreCase)).MaxBy(m => m.CompletedAt);
        if (newestBase is null) yield break;
        if (WalRestorePlan.For(new WalArchive(manifests, newestWal.Cell), newestBase).Gap is { } gap)
            yield return $"WAL gap after base backup {newestBase.Id}: {gap}; point-in-time recovery stops before it";
    }
}
