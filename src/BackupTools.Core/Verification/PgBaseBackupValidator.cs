using System.Formats.Tar;
using System.Text.Json;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>
/// A physical base backup must be a whole pg_basebackup tar: PG_VERSION, global/pg_control and backup_label present,
/// and every file PostgreSQL's own backup_manifest lists present with the size it lists.
/// </summary>
internal sealed class PgBaseBackupValidator : IContentValidator
{
    public string Name => "basebackup";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        JsonDocument? backupManifest = null;
        using (var tar = new TarReader(raw, leaveOpen: true))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                if (entry.Name == "backup_manifest" && entry.DataStream is { } json) backupManifest = JsonDocument.Parse(json);
                else sizes[entry.Name] = entry.Length;
            }
        }
        foreach (var required in new[] { "PG_VERSION", "global/pg_control", "backup_label" })
            if (!sizes.ContainsKey(required))
                throw new BackupIntegrityException("BaseBackupIncomplete", $"The base backup lacks {required}.");
        if (backupManifest is null) throw new BackupIntegrityException("BaseBackupIncomplete", "The base backup lacks PostgreSQL's backup_manifest.");
        using (backupManifest)
        {
            var listed = 0;
            foreach (var file in backupManifest.RootElement.GetProperty("Files").EnumerateArray())
            {
                var path = file.GetProperty("Path").GetString()!;
                var size = file.GetProperty("Size").GetInt64();
                if (!sizes.TryGetValue(path, out var actual))
                    throw new BackupIntegrityException("BaseBackupIncomplete", $"{path} is listed in backup_manifest but not in the base backup.");
                if (actual != size)
                    throw new BackupIntegrityException("BaseBackupSizeMismatch", $"{path} holds {actual} bytes, backup_manifest says {size}.");
                listed++;
            }
            return $"{sizes.Count} files, all {listed} of backup_manifest present with their sizes";
        }
    }
}
