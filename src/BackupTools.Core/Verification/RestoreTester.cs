using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>Where -RestoreTest may create (and then drop) a throwaway database.</summary>
public sealed record RestoreTestTarget(PostgresTarget Postgres, string? ToolPath);

/// <summary>Test-BackupIntegrity -RestoreTest: restore into a throwaway database, compare row counts, time it, drop it.</summary>
internal static class RestoreTester
{
    public static (bool Passed, TimeSpan? Duration) Run(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys,
        RestoreTestTarget target, List<IntegrityCheck> checks, IOperationObserver observer, CancellationToken cancel)
    {
        if (manifest.Engine != PostgresBackupOperation.EngineName)
        {
            checks.Add(new IntegrityCheck("restore-test", true, $"skipped: no restore test for {manifest.Engine} backups yet"));
            return (true, null);
        }
        var database = manifest.EngineInfo?["database"]?.GetValue<string>() ?? "db";
        var throwaway = PgArchiveRestorer.ThrowawayName("test", database);
        try
        {
            using var maintenance = PostgresInspector.Open(target.Postgres, "postgres");
            var tools = PgTools.Locate(target.ToolPath, PostgresInspector.ServerMajor(maintenance));
            try
            {
                observer.Verbose($"Test-restoring {manifest.Id} into {throwaway}.");
                var outcome = PgArchiveRestorer.RestoreInto(repository, manifest, keys, target.Postgres, tools, throwaway, maintenance, cancel);
                var ok = outcome.Differences.Count == 0;
                checks.Add(new IntegrityCheck("restore-test", ok, ok
                    ? $"restored {outcome.Tables} tables ({outcome.Rows} rows) in {outcome.Duration.TotalSeconds:0.0} s; row counts match the manifest"
                    : $"restored in {outcome.Duration.TotalSeconds:0.0} s but: {string.Join("; ", outcome.Differences)}"));
                return (ok, outcome.Duration);
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
}
