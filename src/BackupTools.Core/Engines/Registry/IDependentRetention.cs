using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.Registry;

/// <summary>
/// Retention for backups that are not restore points of their own (WAL batches, binary-log batches): they are not
/// counted in series; instead the rule adds a keep reason to each one a kept backup of another engine still needs.
/// </summary>
public interface IDependentRetention
{
    /// <param name="all">Every manifest of the repository.</param>
    /// <param name="dependents">This engine's manifests among them.</param>
    /// <param name="reasons">Keep reasons by backup id, already filled for every other backup; add to the dependents' lists.</param>
    void Keep(IReadOnlyList<BackupManifest> all, IReadOnlyList<BackupManifest> dependents, Dictionary<string, List<string>> reasons);
}
