using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.Postgres;

namespace BackupTools.Core.Repository;

/// <summary>
/// What tab completion offers for -Cell, -Id and Restore-*'s -Database (names read from the repository's
/// manifests) and Backup-*'s -Database (read from the server), filtered by the prefix typed so far (case-insensitive). Safety backups are not offered as a
/// database to restore (Restore-* -Database never picks them either).
/// </summary>
public static class CompletionCandidates
{
    public static IReadOnlyList<string> Cells(BackupRepository repository, string prefix, CancellationToken cancel = default) =>
        Matching(repository.ListBackups(cancel: cancel).Select(m => m.Cell), prefix);

    /// <summary>Newest first: the backup one usually wants is the latest.</summary>
    public static IReadOnlyList<BackupManifest> Backups(BackupRepository repository, string prefix, IReadOnlyCollection<string>? cells = null, CancellationToken cancel = default) =>
        repository.ListBackups(cancel: cancel)
            .Where(m => m.Id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Where(m => cells is not { Count: > 0 } || cells.Contains(m.Cell, StringComparer.OrdinalIgnoreCase))
            .OrderByDescending(m => m.StartedAt).ToList();

    /// <summary>The databases an engine's backups hold (manifest EngineInfo.database).</summary>
    public static IReadOnlyList<string> Databases(BackupRepository repository, string engine, string prefix, CancellationToken cancel = default) =>
        Matching(repository.ListBackups(cancel: cancel).Where(m => m.Engine == engine && !SafetyBackup.IsSafetyBackup(m))
            .Select(m => m.EngineInfo?["database"]?.GetValue<string>()).OfType<string>(), prefix);

    /// <summary>Backup-Postgres -Database: the databases on the server that accept connections (templates left out).</summary>
    public static IReadOnlyList<string> ServerDatabases(PostgresTarget target, string prefix)
    {
        using var connection = PostgresInspector.Open(target, "postgres");
        return Matching(PostgresInspector.ListDatabases(connection), prefix);
    }

    /// <summary>Backup-MySql -Database: the server's user databases (not mysql, sys and the schemas).</summary>
    public static IReadOnlyList<string> ServerDatabases(MySqlTarget target, string prefix)
    {
        using var connection = MySqlInspector.Open(target, null);
        return Matching(MySqlInspector.ListDatabases(connection, includeSystem: false), prefix);
    }

    private static IReadOnlyList<string> Matching(IEnumerable<string> names, string prefix) =>
        names.Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.OrdinalIgnoreCase).ToList();
}
