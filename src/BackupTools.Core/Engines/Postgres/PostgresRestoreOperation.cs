using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using Npgsql;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>
/// Restore-Postgres on the shared restore flow (safety backup, staging database, manifest check): refuses to
/// replace a database others are connected to unless -Force, restores with pg_restore (-Jobs in parallel) and
/// swaps by renaming databases.
/// </summary>
public sealed class PostgresRestoreOperation(IOperationObserver observer)
    : DatabaseRestoreFlow<PostgresRestoreRequest>(observer, PostgresBackupOperation.EngineName, "PostgreSQL", manifestIncompleteErrorId: "PostgresManifestIncomplete")
{
    protected override IDatabaseRestoreTarget Open(PostgresRestoreRequest request, string database)
    {
        if (request.Jobs is < 1 or > 64)
            throw new BackupInputException("PostgresJobsOutOfRange", "Jobs", $"{request.Jobs} parallel jobs is out of range.", "Pass -Jobs between 1 and 64.");
        var maintenance = PostgresInspector.Open(request.Target, "postgres");
        try
        {
            var tools = PgTools.Locate(request.ToolPath, PostgresInspector.ServerMajor(maintenance));
            var exists = PostgresInspector.Query(maintenance, "select count(*)::int from pg_database where datname = @db", r => r.GetInt32(0), null, ("db", database)).Single() > 0;
            if (exists && !request.Force && PostgresInspector.OtherConnections(maintenance, database) is > 0 and var n)
                throw new BackupToolsException("PostgresDatabaseInUse", FailureKind.ResourceBusy,
                    $"Database '{database}' has {n} other connection(s); replacing it would break them.",
                    "Stop the applications using it, or pass -Force to terminate their connections.");
            return new Target(Observer, request, database, maintenance, tools, exists);
        }
        catch
        {
            maintenance.Dispose();
            throw;
        }
    }

    private sealed class Target(IOperationObserver observer, PostgresRestoreRequest request, string database, NpgsqlConnection maintenance, PgTools tools, bool exists)
        : IDatabaseRestoreTarget
    {
        public bool Exists => exists;

        public string TakeSafetyBackup(BackupRepository repository, string restoringId, CancellationToken cancel)
        {
            using var writerLock = WriterLock.AcquireShared(repository, $"Restore-Postgres {database} safety backup", request.LockTimeout, cancel);
            var outcome = new PostgresBackupOperation(observer).RunLocked(repository, new PostgresBackupRequest(request.Repository, request.Target,
                [database], false, false, false, [], [], null, request.ToolPath, null, request.Keys, request.LockTimeout,
                SafetyBackup.Tags(restoringId)), cancel).Single();
            if (outcome.Error != null) throw outcome.Error;
            return outcome.Record!.Id;
        }

        public RestoredCopy RestoreInto(BackupRepository repository, BackupManifest manifest, string staging, CancellationToken cancel) =>
            PgArchiveRestorer.RestoreInto(repository, manifest, request.Keys, request.Target, tools, staging, maintenance, cancel, request.Jobs);

        /// <summary>Renames: the live database aside, the staging one in, the old one dropped; renamed back if the second rename fails.</summary>
        public void SwapIn(string staging)
        {
            if (!exists)
            {
                Rename(staging, database);
                return;
            }
            var old = ThrowawayDatabase.Name("old", database);
            if (request.Force) PostgresInspector.TerminateConnections(maintenance, database);
            Rename(database, old);
            try
            {
                Rename(staging, database);
            }
            catch
            {
                Rename(old, database);
                throw;
            }
            PgArchiveRestorer.DropDatabase(maintenance, old);
        }

        private void Rename(string from, string to) =>
            PostgresInspector.Execute(maintenance, $"alter database {PostgresInspector.Quote(from)} rename to {PostgresInspector.Quote(to)}");

        public void DropLeftovers() => PgArchiveRestorer.DropLeftovers(maintenance, request.Server, observer);

        public void DropStaging(string staging) => PgArchiveRestorer.DropDatabase(maintenance, staging);

        public Exception Explain(Exception error) => error;

        public void Dispose() => maintenance.Dispose();
    }
}
