using BackupTools.Core.Engines;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Engines.Redis;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>
/// Where -RestoreTest may create (and then drop) a throwaway database. Kept as the raw parameters: which
/// engine's connection they describe depends on each backup piped in.
/// </summary>
public sealed record RestoreTestTarget(string? ConnectionString, string? Server, int? Port, string? User, string? Password, string? ToolPath)
{
    public PostgresTarget Postgres() => PostgresTarget.From(ConnectionString, Server, Port, User, Password);
    public MySqlTarget MySql() => MySqlTarget.From(ConnectionString, Server, Port, User, Password);
    public override string ToString() => $"{Server}:{Port}";
}

/// <summary>Test-BackupIntegrity -RestoreTest: restore into a throwaway database, compare row counts, time it, drop it.</summary>
internal static class RestoreTester
{
    public static (bool Passed, TimeSpan? Duration) Run(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys,
        RestoreTestTarget target, List<IntegrityCheck> checks, IOperationObserver observer, CancellationToken cancel)
    {
        if (manifest.Engine == MySqlBackupOperation.EngineName) return RunMySql(repository, manifest, keys, target, checks, observer, cancel);
        if (manifest.Engine == RedisBackupOperation.EngineName) return RedisRestoreTest.Run(repository, manifest, keys, target.ToolPath, checks, observer, cancel);
        if (manifest.Engine != PostgresBackupOperation.EngineName)
        {
            checks.Add(new IntegrityCheck("restore-test", true, $"skipped: no restore test for {manifest.Engine} backups yet"));
            return (true, null);
        }
        var database = manifest.EngineInfo?["database"]?.GetValue<string>() ?? "db";
        var throwaway = ThrowawayDatabase.Name("test", database);
        try
        {
            var postgres = target.Postgres();
            using var maintenance = PostgresInspector.Open(postgres, "postgres");
            var tools = PgTools.Locate(target.ToolPath, PostgresInspector.ServerMajor(maintenance));
            PgArchiveRestorer.DropLeftovers(maintenance, target.ToString(), observer);
            try
            {
                observer.Verbose($"Test-restoring {manifest.Id} into {throwaway}.");
                var outcome = PgArchiveRestorer.RestoreInto(repository, manifest, keys, postgres, tools, throwaway, maintenance, cancel);
                return Report(checks, outcome.Tables, outcome.Rows, outcome.Duration, outcome.Differences);
            }
            finally
            {
                PgArchiveRestorer.DropDatabase(maintenance, throwaway);
            }
        }
        catch (BackupToolsException e)
        {
            checks.Add(new IntegrityCheck("restore-test", false, $"{e.ErrorId}: {e.Message}"));
            return (false, null);
        }
    }

    private static (bool, TimeSpan?) RunMySql(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys,
        RestoreTestTarget target, List<IntegrityCheck> checks, IOperationObserver observer, CancellationToken cancel)
    {
        var database = manifest.EngineInfo?["database"]?.GetValue<string>() ?? "db";
        var throwaway = ThrowawayDatabase.Name("test", database);
        var mysql = target.MySql();
        try
        {
            var tools = MySqlTools.Locate(target.ToolPath);
            MySqlArchiveRestorer.DropLeftovers(mysql, observer);
            observer.Verbose($"Test-restoring {manifest.Id} into {throwaway}.");
            var outcome = MySqlArchiveRestorer.RestoreInto(repository, manifest, keys, mysql, tools, throwaway, cancel);
            return Report(checks, outcome.Tables, outcome.Rows, outcome.Duration, outcome.Differences);
        }
        catch (BackupToolsException e)
        {
            checks.Add(new IntegrityCheck("restore-test", false, $"{e.ErrorId}: {e.Message}"));
            return (false, null);
        }
        finally
        {
            MySqlArchiveRestorer.DropDatabase(mysql, throwaway);
        }
    }

    private static (bool, TimeSpan?) Report(List<IntegrityCheck> checks, int tables, long rows, TimeSpan duration, IReadOnlyList<string> differences)
    {
        var ok = differences.Count == 0;
        checks.Add(new IntegrityCheck("restore-test", ok, ok
            ? $"restored {tables} tables ({rows} rows) in {duration.TotalSeconds:0.0} s; row counts match the manifest"
            : $"restored in {duration.TotalSeconds:0.0} s but: {string.Join("; ", differences)}"));
        return (ok, duration);
    }
}
