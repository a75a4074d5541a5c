using BackupTools.Core.Engines;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>-RestoreTest for PostgreSQL: pg_restore into a throwaway database on the target server, compare row counts, drop it.</summary>
internal sealed class PostgresRestoreTest : IRestoreTest
{
    public (bool Passed, TimeSpan? Duration) Run(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys, RestoreTestTarget target,
        List<IntegrityCheck> checks, IOperationObserver observer, CancellationToken cancel)
    {
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
                return RestoreTester.Report(checks, outcome.Tables, outcome.Rows, outcome.Duration, outcome.Differences);
            }
            finally
            {
                PgArchiveRestorer.DropDatabase(maintenance, throwaway);
            }
        }
        catch (BackupToolsException e)
        {
            return RestoreTester.Failed(checks, e);
        }
    }
}
