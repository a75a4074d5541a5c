namespace BackupTools.Core.Repository.Catalog;

/// <summary>
/// Get-Backup straight from the catalog's segment lines: each entry is read with <see cref="CatalogEntryFields"/>,
/// filtered, and only a kept backup becomes a record — no <see cref="BackupManifest"/> per backup, and nothing
/// held for backups the query does not return.
/// </summary>
internal sealed class CatalogListing(BackupRepository repository, BackupQuery query, CancellationToken cancel) : ICatalogCollector
{
    private readonly BackupSelection _selection = new(query);
    private readonly CatalogEntryFields _entry = new();
    private readonly IReadOnlyDictionary<string, KeyWrapRecord> _rotations = repository.AllKeyWraps(cancel);

    /// <summary>The query's records, oldest first; null when the repository has no catalog yet.</summary>
    public static List<BackupRecord>? TryList(BackupRepository repository, BackupQuery query, CancellationToken cancel) =>
        CatalogReader.TryRead(repository, () => new CatalogListing(repository, query, cancel), cancel)?.Collector._selection.Result();

    public void AddLine(ReadOnlySpan<byte> line, string where, Func<string, bool> admit)
    {
        var e = _entry;
        e.Parse(line, where);
        if (admit(e.Id) && _selection.Wants(e.Id, e.Cell, e.Source, e.Engine, e.Kind, e.StartedAt, e.IsSafetyBackup))
            _selection.Keep(e.ToRecord(line, repository.Location, _rotations.GetValueOrDefault(e.Id)));
    }

    public void AddManifest(BackupManifest manifest)
    {
        if (_selection.Wants(manifest.Id, manifest.Cell, manifest.Source, manifest.Engine, manifest.Kind, manifest.StartedAt, SafetyBackup.IsSafetyBackup(manifest)))
            _selection.Keep(repository.ToRecord(manifest));
    }
}
