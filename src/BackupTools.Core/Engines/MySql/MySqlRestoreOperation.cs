using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using MySqlConnector;

namespace BackupTools.Core.Engines.MySql;

/// <summary>
/// Restore-MySql on the shared restore flow (safety backup, staging database, manifest check): refuses system
/// databases and unusable names, loads the dump with the mariadb/mysql client and swaps the tables in with one
/// atomic RENAME TABLE (MySqlDatabaseSwap).
/// </summary>
public sealed class MySqlRestoreOperation(IOperationObserver observer)
    : DatabaseRestoreFlow<MySqlRestoreRequest>(observer, MySqlBackupOperation.EngineName, "MySQL/MariaDB", manifestIncompleteErrorId: "MySqlManifestIncomplete")
{
    protected override string DescribeExtra(MySqlRestoreRequest request, BackupRepository repository, BackupManifest manifest) =>
        request.Replay is { } replay ? $" + binlog {BinlogReplay.Plan(repository, manifest, replay, Observer)}" : "";

    protected override IDatabaseRestoreTarget Open(MySqlRestoreRequest request, string database)
    {
        if (string.IsNullOrWhiteSpace(database) || database.Length > 64 || database.Contains('/') || database.Contains('\\') || database.Contains('.'))
            throw new BackupInputException("MySqlDatabaseNameInvalid", "TargetDatabase", $"'{database}' is not a usable database name.", "Use at most 64 characters without '/', '\\' or '.'.");
        if (MySqlInspector.SystemDatabases.Contains(database, StringComparer.OrdinalIgnoreCase))
            throw new BackupInputException("MySqlSystemDatabase", "TargetDatabase", $"'{database}' is a system database; Restore-MySql does not replace those.", "Restore it into another name with -TargetDatabase.");
        using var connection = MySqlInspector.Open(request.Target, null);
        var tools = MySqlTools.Locate(request.ToolPath);
        var exists = MySqlInspector.Query(connection, "select count(*) from information_schema.schemata where schema_name = @db", r => r.GetInt64(0), ("db", database)).Single() > 0;
        return new Target(Observer, request, database, tools, exists);
    }

    private sealed class Target(IOperationObserver observer, MySqlRestoreRequest request, string database, MySqlTools tools, bool exists) : IDatabaseRestoreTarget
    {
        public bool Exists => exists;

        public string TakeSafetyBackup(BackupRepository repository, string restoringId, CancellationToken cancel)
        {
            using var writerLock = WriterLock.AcquireShared(repository, $"Restore-MySql {database} safety backup", request.LockTimeout, cancel);
            var outcome = new MySqlBackupOperation(observer).RunLocked(repository, new MySqlBackupRequest(request.Repository, request.Target,
                [database], false, false, null, request.ToolPath, null, request.Keys, request.LockTimeout,
                SafetyBackup.Tags(restoringId)), cancel).Single();
            if (outcome.Error != null) throw outcome.Error;
            return outcome.Record!.Id;
        }

        public RestoredCopy RestoreInto(BackupRepository repository, BackupManifest manifest, string staging, CancellationToken cancel)
        {
            var copy = MySqlArchiveRestorer.RestoreInto(repository, manifest, request.Keys, request.Target, tools, staging, cancel);
            if (request.Replay is not { } replay || copy.Differences.Count > 0) return copy;
            // The dump proved equal to its manifest; now the binlog carries it forward, and the counts are those at the target.
            var source = manifest.EngineInfo?["database"]?.GetValue<string>() ?? database;
            var range = BinlogReplay.Apply(repository, manifest, request.Keys, request.Target, tools, source, staging, replay, observer, cancel);
            observer.Verbose($"Replayed the binlog {range} into {staging}.");
            using var restored = MySqlInspector.Open(request.Target, staging);
            var tables = MySqlInspector.Tables(restored, staging);
            return copy with { Tables = tables.Count, Rows = tables.Sum(t => t.Rows) };
        }

        /// <summary>One RENAME TABLE moves the staging tables in (and the live ones aside); the emptied staging database goes.</summary>
        public void SwapIn(string staging)
        {
            if (request.Force && exists) MySqlSessions.EndUsersOf(request.Target, database, observer);
            MySqlDatabaseSwap.Replace(request.Target, staging, database, exists);
            MySqlArchiveRestorer.DropDatabase(request.Target, staging);
        }

        public void DropLeftovers() => MySqlArchiveRestorer.DropLeftovers(request.Target, observer);

        public void DropStaging(string staging) => MySqlArchiveRestorer.DropDatabase(request.Target, staging);

        public Exception Explain(Exception error) => error is MySqlException e ? MySqlErrors.Map(e, request.Target, database) : error;

        public void Dispose() { }
    }
}
