using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines;

/// <summary>
/// Picks the dump a database restore targets (Restore-Postgres, Restore-MySql): by id (checked to be of the
/// engine), else the newest backup of that database completed at or before At, safety backups excluded.
/// </summary>
public static class DatabaseRestorePoint
{
    public static BackupManifest Select(BackupRepository repository, string engine, string engineLabel, string? id, string? database, DateTimeOffset? at, CancellationToken cancel = default)
    {
        if (id != null)
        {
            var byId = repository.GetManifest(id, cancel);
            if (byId.Engine != engine)
                throw new BackupInputException("RestoreWrongEngine", "Id", $"backup {byId.Id} is a {byId.Engine} backup, not a {engineLabel} database dump.", "Use the Restore- cmdlet for that engine.");
            return byId;
        }
        if (database is null)
            throw new BackupInputException("RestoreDatabaseNotGiven", "Database", "neither a backup id nor a database was given.", "Pass -Id, pipe a record in, or pass -Database <name>.");
        var candidates = repository.ListManifests(null, cancel).Where(m => m.Engine == engine
            && m.EngineInfo?["database"]?.GetValue<string>() == database && !SafetyBackup.IsSafetyBackup(m)
            && (at is null || m.CompletedAt <= at)).OrderBy(m => m.CompletedAt).ToList();
        return candidates.LastOrDefault() ?? throw new BackupToolsException("RestoreNoBackups", FailureKind.NotFound,
            $"No backup of database '{database}'{(at is { } point ? $" completed at or before {point:u}" : "")} in {repository.Location}.", "Check with Get-Backup.");
    }
}
