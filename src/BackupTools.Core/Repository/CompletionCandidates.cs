namespace BackupTools.Core.Repository;

/// <summary>
/// What tab completion offers for -Cell, -Id and Restore-*'s -Database: names read from the repository's
/// manifests, filtered by the prefix typed so far (case-insensitive). Safety backups are not offered as a
/// database to restore (Restore-* -Database never picks them either).
/// </summary>
public static class CompletionCandidates
{
    public static IReadOnlyList<string> Cells(BackupRepository repository, string prefix) =>
        Matching(repository.ListManifests().Select(m => m.Cell), prefix);

    /// <summary>Newest first: the backup one usually wants is the latest.</summary>
    public static IReadOnlyList<BackupManifest> Backups(BackupRepository repository, string prefix, IReadOnlyCollection<string>? cells = null) =>
        repository.ListManifests()
            .Where(m => m.Id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Where(m => cells is not { Count: > 0 } || cells.Contains(m.Cell, StringComparer.OrdinalIgnoreCase))
            .OrderByDescending(m => m.StartedAt).ToList();

    /// <summary>The databases an engine's backups hold (manifest EngineInfo.database).</summary>
    public static IReadOnlyList<string> Databases(BackupRepository repository, string engine, string prefix) =>
        Matching(repository.ListManifests().Where(m => m.Engine == engine && !SafetyBackup.IsSafetyBackup(m))
            .Select(m => m.EngineInfo?["database"]?.GetValue<string>()).OfType<string>(), prefix);

    private static IReadOnlyList<string> Matching(IEnumerable<string> names, string prefix) =>
        names.Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.OrdinalIgnoreCase).ToList();
}
