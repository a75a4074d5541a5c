using BackupTools.Core.Storage;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Replication;

/// <summary>A source repository with a key and a cell (CellTestBase) plus a second repository to copy into.</summary>
public abstract class ReplicationTestBase : CellTestBase
{
    protected string Target => Temp.Sub("target");
    protected string TargetLocation => new LocalBackupStore(Target).Location;
    protected string TargetFolder(string id) => Path.Combine(Target, "backups", id);
    protected string SourceObject(string id, string role = "data") => Path.Combine(Repo, "backups", id, role);

    protected PsResult RunT(string script, params (string Name, object? Value)[] extra) => Run(script, [("target", Target), .. extra]);

    /// <summary>The target is v1 unless options ask for a format: most copy tests read its objects as v1 lays them out.</summary>
    protected void InitTarget(string options = "") =>
        RunT($"Initialize-BackupRepository -Path $target {(options.Contains("-Format") ? "" : "-Format v1 ")}{options} | Out-Null").AssertNoErrors();

    protected BackupRecord Change(string type)
    {
        File.WriteAllText(Path.Combine(Cell, $"change-{Guid.NewGuid():N}.txt"), "changed\n");
        return Backup(type);
    }

    protected BackupRecord BackupOtherCell()
    {
        var other = Temp.Sub("cells/other");
        if (!Directory.Exists(other)) SampleTree.Create(other, seed: 2);
        return Run("Backup-Cell -Name other -Path $other -Repository $repo -KeyFile $key", ("other", other)).AssertNoErrors().Single<BackupRecord>();
    }

    protected string[] IdsIn(string repository) =>
        Run("Get-Backup -Repository $r", ("r", repository)).AssertNoErrors().Objects<BackupRecord>().Select(r => r.Id).ToArray();

    protected static string[] Ids(params BackupRecord[] records) => records.Select(r => r.Id).ToArray();

    protected static void FlipByte(string file)
    {
        using var f = new FileStream(file, FileMode.Open);
        f.Position = f.Length / 2;
        var b = f.ReadByte();
        f.Position = f.Length / 2;
        f.WriteByte((byte)(b ^ 0x01));
    }

    protected void AssertRestoresFromTarget(BackupRecord record, string expectedTree)
    {
        var dest = Temp.Sub("restored-" + Guid.NewGuid().ToString("N")[..6]);
        RunT("Restore-Cell -Id $id -Repository $target -KeyFile $key -Destination $dest -Confirm:$false", ("id", record.Id), ("dest", dest)).AssertNoErrors();
        TreeSnapshot.AssertSame(expectedTree, dest);
    }

    protected string Snapshot()
    {
        var snapshot = Temp.Sub("snap-" + Guid.NewGuid().ToString("N")[..6]);
        CopyTree(Cell, snapshot);
        return snapshot;
    }
}
