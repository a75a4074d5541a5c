using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines;

/// <summary>One backup asked for by a restore command: its id and the repository it came from.</summary>
public sealed record RestorePick(string Id, RepositoryReference Repository);

/// <summary>
/// Several backups piped into one restore command: when two of them land on the same target, each would replace
/// the one restored before it (`Get-Backup -Latest | Restore-Postgres -TargetDatabase X` restored every database
/// into X in turn, leaving whichever came last). Such a batch is refused before anything is restored.
/// </summary>
public static class RestoreBatch
{
    /// <param name="targetOf">Where restoring a backup lands, as text compared ordinally (a database, a folder…).</param>
    public static void EnsureOnePerTarget(IReadOnlyList<RestorePick> picks, Func<BackupManifest, string> targetOf)
    {
        if (picks.Select(p => (p.Id, p.Repository)).Distinct().Count() < 2) return;
        var landing = new List<(string Target, string Id)>();
        foreach (var fromRepository in picks.GroupBy(p => p.Repository))
        {
            using var repository = fromRepository.Key.Open();
            foreach (var pick in fromRepository.DistinctBy(p => p.Id))
            {
                BackupManifest manifest;
                try { manifest = repository.GetManifest(pick.Id); }
                catch (BackupToolsException) { continue; } // reported by that backup's own restore
                landing.Add((targetOf(manifest), pick.Id));
            }
        }
        var clash = landing.GroupBy(l => l.Target, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (clash is null) return;
        throw new BackupInputException("RestoreSeveralIntoOneTarget", "Id",
            $"{clash.Count()} backups ({string.Join(", ", clash.Select(c => c.Id))}) would all be restored into {clash.Key}, each replacing the one before; nothing was restored.",
            "Pipe one backup per target (e.g. Get-Backup -Cell <cell> -Latest, or … | Select-Object -Last 1), or restore them one by one into different targets.");
    }
}
