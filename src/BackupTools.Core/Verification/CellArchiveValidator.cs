using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Engines.Directory.Tar;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>A cell's data object must be a whole tar: meta.json first naming this backup, every entry under data/, an end marker.</summary>
internal sealed class CellArchiveValidator : IContentValidator
{
    public string Name => "archive";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        var reader = new TarReader(raw);
        var first = reader.Next();
        if (first is null || first.Header.Path != CellArchiveLayout.MetaEntry)
            throw new BackupIntegrityException("CellArchiveMetaMissing", "The archive does not start with meta.json.");
        var meta = CellMeta.FromJson(first.ReadAllBytes());
        if (meta is null || meta.BackupId != manifest.Id || meta.Cell != manifest.Cell)
            throw new BackupIntegrityException("CellArchiveMetaMismatch", $"meta.json names backup '{meta?.BackupId}' of cell '{meta?.Cell}', not {manifest.Id}.");
        long entries = 0, files = 0;
        while (reader.Next() is { } entry)
        {
            if (!CellArchiveLayout.TryFromArchivePath(entry.Header.Path, out _))
                throw new BackupIntegrityException("CellArchiveUnexpectedEntry", $"Entry '{entry.Header.Path}' is outside the data folder.");
            TarPathGuard.Normalize(entry.Header.Path);
            entry.CopyDataTo(Stream.Null);
            entries++;
            if (entry.Header.Kind == TarEntryKind.File) files++;
        }
        var expectedFiles = manifest.EngineInfo?["storedFiles"] is { } stored ? long.Parse(stored.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture) : (long?)null;
        if (expectedFiles is { } n && n != files)
            throw new BackupIntegrityException("CellArchiveFileCountMismatch", $"The archive holds {files} files, the manifest says {n}.");
        return $"meta.json ok (backed_at {meta.BackedAt:u}), {entries} entries, {files} files";
    }
}
