using BackupTools.Core.Operations;

namespace BackupTools.Core.Engines;

/// <summary>
/// What a crashed restore or restore test left on a server: staging and test copies of processes gone from
/// this host are dropped; a "…__bt_old_…" database is only reported — until a swap completes it holds the
/// data that was live before, so only a person may decide it is not needed.
/// </summary>
public static class LeftoverDatabases
{
    /// <param name="names">The server's databases whose names contain "__bt_".</param>
    /// <param name="drop">Drops one database (best effort).</param>
    public static void Clean(IReadOnlyCollection<string> names, Action<string> drop, string server, IOperationObserver observer)
    {
        foreach (var leftover in ThrowawayDatabase.LeftByDeadProcesses(names, ThrowawayDatabase.Disposable))
        {
            observer.Verbose($"Dropping database {leftover} on {server}: an interrupted restore left it and its process is gone.");
            drop(leftover);
        }
        foreach (var old in ThrowawayDatabase.LeftByDeadProcesses(names, ["old"]))
            observer.Warning($"Database {old} on {server} was left by an interrupted restore whose process is gone: it may hold the " +
                "data that was live before that restore. Check it, then rename it back or drop it; BackupTools never drops it itself.");
    }
}
