using BackupTools.Core.Engines.Postgres;

namespace BackupTools.Core.Engines.Registry;

/// <summary>Plan sources back up one database at a time through operations that report per item.</summary>
public static class EngineOutcomes
{
    /// <summary>The single item's record, or its error rethrown.</summary>
    public static BackupRecord Single(IReadOnlyList<ItemOutcome> outcomes)
    {
        var outcome = outcomes.Single();
        return outcome.Record ?? throw (outcome.Error ?? new InvalidOperationException("the backup produced neither a record nor an error"));
    }
}
