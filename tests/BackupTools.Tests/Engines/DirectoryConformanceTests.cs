using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Engines;

/// <summary>The directory (cell) engine against the conformance suite.</summary>
public sealed class DirectoryConformanceTests : EngineConformanceTests
{
    private string Cell => Temp.Sub("cells/crm");

    public DirectoryConformanceTests() => SampleTree.Create(Cell);

    protected override string Engine => CellBackupOperation.EngineName;
    protected override string? Secret => null;
    protected override RestoreTestTarget RestoreTestTarget => new(null, null, null, null, null, null);

    protected override BackupRecord Backup(IOperationObserver observer, CancellationToken cancel) =>
        new CellBackupOperation(observer).Run(new CellBackupRequest(new RepositoryReference(Repo), "crm", Cell, BackupKind.Full, null, Keys, LockTimeout), cancel);

    protected override string Fingerprint() => string.Join("\n", TreeSnapshot.Take(Cell).Select(e => $"{e.Key} {e.Value}"));

    protected override void Change()
    {
        File.WriteAllText(Path.Combine(Cell, "added-after-backup.txt"), "new");
        File.Delete(Directory.EnumerateFiles(Cell, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First(f => !f.EndsWith("added-after-backup.txt")));
    }

    protected override Func<string, Func<string, string, bool>, string?> Restore => (id, shouldProcess) =>
        new CellRestoreOperation(Observer).Run(new CellRestoreRequest(new RepositoryReference(Repo), null, id, null, Cell, false, Keys, LockTimeout, shouldProcess), CancellationToken.None)?.SafetyBackupId;
}
