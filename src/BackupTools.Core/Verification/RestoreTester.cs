using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Engines.Registry;
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

/// <summary>
/// Test-BackupIntegrity -RestoreTest: the engine's own restore test (see EngineRegistry). An engine that declared
/// it has none gets a passed check saying why it was skipped; an engine this version does not know fails the check.
/// </summary>
internal static class RestoreTester
{
    public static (bool Passed, TimeSpan? Duration) Run(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys,
        RestoreTestTarget target, List<IntegrityCheck> checks, IOperationObserver observer, CancellationToken cancel)
    {
        if (!EngineRegistry.TryGet(manifest.Engine, out var engine))
        {
            checks.Add(new IntegrityCheck("restore-test", false, $"UnknownEngine: no engine named '{manifest.Engine}' is registered, so its backup cannot be test-restored"));
            return (false, null);
        }
        if (engine.RestoreTest.Value is not { } test)
        {
            checks.Add(new IntegrityCheck("restore-test", true, $"skipped: no restore test for {manifest.Engine} backups ({engine.RestoreTest.NotApplicableBecause})"));
            return (true, null);
        }
        return test.Run(repository, manifest, keys, target, checks, observer, cancel);
    }

    /// <summary>The check a database restore test ends with: row counts against the manifest.</summary>
    public static (bool, TimeSpan?) Report(List<IntegrityCheck> checks, int tables, long rows, TimeSpan duration, IReadOnlyList<string> differences)
    {
        var ok = differences.Count == 0;
        checks.Add(new IntegrityCheck("restore-test", ok, ok
            ? $"restored {tables} tables ({rows} rows) in {duration.TotalSeconds:0.0} s; row counts match the manifest"
            : $"restored in {duration.TotalSeconds:0.0} s but: {string.Join("; ", differences)}"));
        return (ok, duration);
    }

    /// <summary>A restore test that could not run is a failed check with the reason, not an exception.</summary>
    public static (bool, TimeSpan?) Failed(List<IntegrityCheck> checks, Errors.BackupToolsException e)
    {
        checks.Add(new IntegrityCheck("restore-test", false, $"{e.ErrorId}: {e.Message}"));
        return (false, null);
    }
}
