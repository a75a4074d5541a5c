using BackupTools.Core.Audit;
using System.Diagnostics;
using BackupTools.Core.Engines;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>
/// Restores a database without ever leaving the user with nothing: safety backup of the live database,
/// restore into a staging database, row counts checked against the manifest, then swapped in by rename.
/// On any failure the original is untouched and the staging database dropped.
/// </summary>
public sealed class PostgresRestoreOperation(IOperationObserver observer)
{
    public DatabaseRestoreResult? Run(PostgresRestoreRequest request, CancellationToken cancel) =>
        OperationAudit.Run(request.RepositoryLocation, new AuditSubject("restore", null, PostgresBackupOperation.EngineName, request.Target.Describe(request.TargetDatabase ?? request.Database ?? "")), observer,
            () => RunUnaudited(request, cancel),
            r => r is null ? null : new AuditOutcome(r.SafetyBackupId is { } safety ? [r.RestoredId, safety] : [r.RestoredId],
                $"restored into {r.Server}/{r.Database} ({r.Tables} tables, {r.Rows} rows){(r.SafetyBackupId is { } s ? $"; safety backup {s}" : r.SafetyBackupSkipped ? "; safety backup skipped" : "")}"));

    private DatabaseRestoreResult? RunUnaudited(PostgresRestoreRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var repository = BackupRepository.Open(RepositoryLocation.OpenStore(request.RepositoryLocation));
        var manifest = Select(repository, request);
        var database = request.TargetDatabase ?? manifest.EngineInfo?["database"]?.GetValue<string>()
            ?? throw new BackupIntegrityException("PostgresManifestIncomplete", $"Backup {manifest.Id} does not name its database.");
        using var maintenance = PostgresInspector.Open(request.Target, "postgres");
        var tools = PgTools.Locate(request.ToolPath, PostgresInspector.ServerMajor(maintenance));
        var exists = PostgresInspector.Query(maintenance, "select count(*)::int from pg_database where datname = @db", r => r.GetInt32(0), null, ("db", database)).Single() > 0;
        if (exists && !request.Force && PostgresInspector.OtherConnections(maintenance, database) is > 0 and var n)
            throw new BackupToolsException("PostgresDatabaseInUse", FailureKind.ResourceBusy,
                $"Database '{database}' has {n} other connection(s); replacing it would break them.",
                "Stop the applications using it, or pass -Force to terminate their connections.");
        if (request.Jobs is < 1 or > 64)
            throw new BackupInputException("PostgresJobsOutOfRange", "Jobs", $"{request.Jobs} parallel jobs is out of range.", "Pass -Jobs between 1 and 64.");
        var where = request.Target.Describe(database);
        if (!request.ShouldProcess(where, $"Restore backup {manifest.Id} ({manifest.CompletedAt:u})" + (exists ? ", replacing the existing database" : ""))) return null;

        string? safetyId = null;
        if (exists && !request.SkipSafetyBackup) safetyId = TakeSafetyBackup(repository, request, database, manifest.Id, cancel);
        else if (exists) observer.Warning($"-SkipSafetyBackup: database '{database}' will be replaced without a safety backup.");

        var staging = PgArchiveRestorer.ThrowawayName("restore", database);
        observer.Verbose($"Restoring {manifest.Id} into staging database {staging}.");
        PgArchiveRestorer.Outcome outcome;
        try
        {
            outcome = PgArchiveRestorer.RestoreInto(repository, manifest, request.Keys, request.Target, tools, staging, maintenance, cancel, request.Jobs);
            if (outcome.Differences.Count > 0)
                throw new BackupIntegrityException("RestoreVerificationFailed",
                    $"The restored copy differs from the backup's manifest ({string.Join("; ", outcome.Differences.Take(5))}); '{database}' was not touched.");
            Swap(maintenance, staging, database, exists, request.Force);
        }
        catch
        {
            PgArchiveRestorer.DropDatabase(maintenance, staging);
            throw;
        }
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

    private static BackupManifest Select(BackupRepository repository, PostgresRestoreRequest request) =>
        DatabaseRestorePoint.Select(repository, PostgresBackupOperation.EngineName, "PostgreSQL", request.Id, request.Database, request.At);

    private string TakeSafetyBackup(BackupRepository repository, PostgresRestoreRequest request, string database, string restoringId, CancellationToken cancel)
    {
        observer.Verbose($"Taking a safety backup of database '{database}' before replacing it.");
        using var writerLock = WriterLock.Acquire(repository, $"Restore-Postgres {database} safety backup", request.LockTimeout, cancel);
        var outcome = new PostgresBackupOperation(observer).RunLocked(repository, new PostgresBackupRequest(request.RepositoryLocation, request.Target,
            [database], false, false, false, [], [], null, request.ToolPath, null, request.Keys, request.LockTimeout,
            Repository.SafetyBackup.Tags(restoringId)), cancel).Single();
        if (outcome.Error != null) throw outcome.Error;
        return outcome.Record!.Id;
    }

    private static void Swap(Npgsql.NpgsqlConnection maintenance, string staging, string database, bool exists, bool force)
    {
        if (!exists)
        {
            PostgresInspector.Execute(maintenance, $"alter database {PostgresInspector.Quote(staging)} rename to {PostgresInspector.Quote(database)}");
            return;
        }
        var old = PgArchiveRestorer.ThrowawayName("old", database);
        if (force) PostgresInspector.TerminateConnections(maintenance, database);
        PostgresInspector.Execute(maintenance, $"alter database {PostgresInspector.Quote(database)} rename to {PostgresInspector.Quote(old)}");
        try
        {
            PostgresInspector.Execute(maintenance, $"alter database {PostgresInspector.Quote(staging)} rename to {PostgresInspector.Quote(database)}");
        }
        catch
        {
            PostgresInspector.Execute(maintenance, $"alter database {PostgresInspector.Quote(old)} rename to {PostgresInspector.Quote(database)}");
            throw;
        }
        PgArchiveRestorer.DropDatabase(maintenance, old);
    }
}
