using BackupTools.Core.Audit;
using System.Diagnostics;
using BackupTools.Core.Engines;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using MySqlConnector;

namespace BackupTools.Core.Engines.MySql;

/// <summary>
/// Restores a MySQL/MariaDB database without ever leaving the user with nothing: safety backup of the live
/// database, the dump loaded into a staging database, row counts checked against the manifest, then swapped
/// in with one atomic RENAME TABLE (MySqlDatabaseSwap). On any failure before the swap the original is
/// untouched and the staging database dropped.
/// </summary>
public sealed class MySqlRestoreOperation(IOperationObserver observer)
{
    public DatabaseRestoreResult? Run(MySqlRestoreRequest request, CancellationToken cancel) =>
        OperationAudit.Run(request.RepositoryLocation, new AuditSubject("restore", null, MySqlBackupOperation.EngineName, request.Target.Describe(request.TargetDatabase ?? request.Database ?? "")), observer,
            () => RunUnaudited(request, cancel),
            r => r is null ? null : new AuditOutcome(r.SafetyBackupId is { } safety ? [r.RestoredId, safety] : [r.RestoredId],
                $"restored into {r.Server}/{r.Database} ({r.Tables} tables, {r.Rows} rows){(r.SafetyBackupId is { } s ? $"; safety backup {s}" : r.SafetyBackupSkipped ? "; safety backup skipped" : "")}"));

    private DatabaseRestoreResult? RunUnaudited(MySqlRestoreRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var repository = BackupRepository.Open(RepositoryLocation.OpenStore(request.RepositoryLocation));
        var manifest = Select(repository, request);
        var database = request.TargetDatabase ?? manifest.EngineInfo?["database"]?.GetValue<string>()
            ?? throw new BackupIntegrityException("MySqlManifestIncomplete", $"Backup {manifest.Id} does not name its database.");
        if (string.IsNullOrWhiteSpace(database) || database.Length > 64 || database.Contains('/') || database.Contains('\\') || database.Contains('.'))
            throw new BackupInputException("MySqlDatabaseNameInvalid", "TargetDatabase", $"'{database}' is not a usable database name.", "Use at most 64 characters without '/', '\\' or '.'.");
        if (MySqlInspector.SystemDatabases.Contains(database, StringComparer.OrdinalIgnoreCase))
            throw new BackupInputException("MySqlSystemDatabase", "TargetDatabase", $"'{database}' is a system database; Restore-MySql does not replace those.", "Restore it into another name with -TargetDatabase.");
        MySqlTools tools;
        bool exists;
        using (var connection = MySqlInspector.Open(request.Target, null))
        {
            tools = MySqlTools.Locate(request.ToolPath);
            exists = MySqlInspector.Query(connection, "select count(*) from information_schema.schemata where schema_name = @db", r => r.GetInt64(0), ("db", database)).Single() > 0;
        }
        var where = request.Target.Describe(database);
        if (!request.ShouldProcess(where, $"Restore backup {manifest.Id} ({manifest.CompletedAt:u})" + (exists ? ", replacing the existing database" : ""))) return null;

        string? safetyId = null;
        if (exists && !request.SkipSafetyBackup) safetyId = TakeSafetyBackup(repository, request, database, manifest.Id, cancel);
        else if (exists) observer.Warning($"-SkipSafetyBackup: database '{database}' will be replaced without a safety backup.");

        var staging = Postgres.PgArchiveRestorer.ThrowawayName("restore", database);
        observer.Verbose($"Restoring {manifest.Id} into staging database {staging}.");
        MySqlArchiveRestorer.Outcome outcome;
        try
        {
            outcome = MySqlArchiveRestorer.RestoreInto(repository, manifest, request.Keys, request.Target, tools, staging, cancel);
            if (outcome.Differences.Count > 0)
                throw new BackupIntegrityException("RestoreVerificationFailed",
                    $"The restored copy differs from the backup's manifest ({string.Join("; ", outcome.Differences.Take(5))}); '{database}' was not touched.");
            cancel.ThrowIfCancellationRequested();
            observer.Verbose($"Swapping {staging} into {database}.");
            MySqlDatabaseSwap.Replace(request.Target, staging, database, exists);
        }
        catch (MySqlException e)
        {
            MySqlArchiveRestorer.DropDatabase(request.Target, staging);
            throw MySqlErrors.Map(e, request.Target, database);
        }
        catch
        {
            MySqlArchiveRestorer.DropDatabase(request.Target, staging);
            throw;
        }
        MySqlArchiveRestorer.DropDatabase(request.Target, staging);
        return new DatabaseRestoreResult
        {
            Database = database,
            Server = $"{request.Target.Host}:{request.Target.Port}",
            RestoredId = manifest.Id,
            RestoredPointInTime = manifest.CompletedAt,
            SafetyBackupId = safetyId,
            SafetyBackupSkipped = exists && request.SkipSafetyBackup,
            ReplacedExistingDatabase = exists,
            Tables = outcome.Tables,
            Rows = outcome.Rows,
            Duration = clock.Elapsed,
        };
    }

    private static BackupManifest Select(BackupRepository repository, MySqlRestoreRequest request) =>
        DatabaseRestorePoint.Select(repository, MySqlBackupOperation.EngineName, "MySQL/MariaDB", request.Id, request.Database, request.At);

    private string TakeSafetyBackup(BackupRepository repository, MySqlRestoreRequest request, string database, string restoringId, CancellationToken cancel)
    {
        observer.Verbose($"Taking a safety backup of database '{database}' before replacing it.");
        using var writerLock = WriterLock.Acquire(repository, $"Restore-MySql {database} safety backup", request.LockTimeout, cancel);
        var outcome = new MySqlBackupOperation(observer).RunLocked(repository, new MySqlBackupRequest(request.RepositoryLocation, request.Target,
            [database], false, false, null, request.ToolPath, null, request.Keys, request.LockTimeout,
            Repository.SafetyBackup.Tags(restoringId)), cancel).Single();
        if (outcome.Error != null) throw outcome.Error;
        return outcome.Record!.Id;
    }
}
