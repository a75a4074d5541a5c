using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.Directory;

/// <summary>Picks the backup a restore targets: by id, else the newest completed at or before -At, else the newest.</summary>
public static class RestorePointSelector
{
    public static BackupManifest Select(BackupRepository repository, IReadOnlyList<BackupManifest> all, string? cell, string? id, DateTimeOffset? at, CancellationToken cancel = default)
    {
        if (id != null)
        {
            var byId = repository.GetManifest(id, cancel);
            if (cell != null && byId.Cell != cell)
                throw new BackupInputException("RestoreIdCellMismatch", "Id", $"backup {id} belongs to cell '{byId.Cell}', not '{cell}'.", "Drop -Name or use a backup of that cell.");
            return byId;
        }
        if (cell is null)
            throw new BackupInputException("RestoreCellNotGiven", "Name", "no cell and no backup id were given.", "Pass -Name <cell> or -Id <backup id>, or pipe a record in.");
        var candidates = all.Where(m => m.Cell == cell && m.Engine == CellBackupOperation.EngineName && !SafetyBackup.IsSafetyBackup(m)).ToList();
        if (candidates.Count == 0)
            throw new BackupToolsException("RestoreNoBackups", FailureKind.NotFound, $"Cell '{cell}' has no backups in {repository.Location}.", "Check -Name and -Repository with Get-Backup.");
        if (at is { } point)
        {
            var before = candidates.Where(m => m.CompletedAt <= point).OrderBy(m => m.CompletedAt).LastOrDefault();
            return before ?? throw new BackupToolsException("RestoreNoBackupBeforeTime", FailureKind.NotFound,
                $"Cell '{cell}' has no backup completed at or before {point:u}; the oldest completed at {candidates.Min(m => m.CompletedAt):u}.",
                "Choose a later -At.");
        }
        return candidates.OrderBy(m => m.CompletedAt).Last();
    }
}
