using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.MySqlPitr;

/// <summary>
/// What Get-BackupStatus and Export-BackupMetrics say about a cell's binlog archive beyond the age of its newest batch:
/// the newest archived event (live RPO: a commit after it is not in the archive yet) and every gap, named, because
/// point-in-time recovery cannot cross one however fresh the archive is.
/// </summary>
public sealed record BinlogArchiveHealth(DateTimeOffset? NewestEvent, IReadOnlyList<BinlogGap> Gaps)
{
    /// <summary>The health of <paramref name="newest"/>'s archive; null when it is not a binlog batch.</summary>
    public static BinlogArchiveHealth? Of(BackupManifest newest, IReadOnlyList<BackupManifest> manifests)
    {
        if (newest.Engine != BinlogArchive.EngineName) return null;
        var archive = new BinlogArchive(manifests, newest.Cell);
        return new BinlogArchiveHealth(archive.NewestEvent, archive.Gaps());
    }

    public IEnumerable<string> Warnings => Gaps.Select(g => $"binlog gap: {g}; point-in-time recovery cannot cross it");
}
