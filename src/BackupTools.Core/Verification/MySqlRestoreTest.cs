using BackupTools.Core.Engines;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>-RestoreTest for MySQL/MariaDB: load the dump into a throwaway database on the target server, compare row counts, drop it.</summary>
internal sealed class MySqlRestoreTest : IRestoreTest
{
    public (bool Passed, TimeSpan? Duration) Run(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys, RestoreTestTarget target,
        List<IntegrityCheck> checks, IOperationObserver observer, CancellationToken cancel)
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
            return RestoreTester.Report(checks, outcome.Tables, outcome.Rows, outcome.Duration, outcome.Differences);
        }
        catch (BackupToolsException e)
        {
            return RestoreTester.Failed(checks, e);
        }
        finally
        {
            MySqlArchiveRestorer.DropDatabase(mysql, throwaway);
        }
    }
}
