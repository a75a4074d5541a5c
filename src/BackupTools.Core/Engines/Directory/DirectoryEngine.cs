using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.Directory;

/// <summary>The directory (cell) engine: a folder as a tar stream, with incremental chains and an index object.</summary>
public static class DirectoryEngine
{
    public static readonly BackupEngine Descriptor = new()
    {
        Name = CellBackupOperation.EngineName,
        DisplayName = "directory",
        Validators = new Dictionary<string, IContentValidator>
        {
            [BackupManifest.DataRole] = new CellArchiveValidator(),
            [CellIndex.ObjectRole] = new CellIndexValidator(),
            [CellIndex.StateRole] = new CellIndexValidator(),
        },
        RestoreTest = Ability<IRestoreTest>.NotApplicable("the archive check already reads every file of the tar; there is no server to load it into"),
        RestorePriority = RestorePriorities.Files,
        Plan = Ability.Of(new PlanEngineSupport
        {
            Kind = "directory",
            Requires = ["path"],
            TakesPath = true,
            TakesFullEvery = true,
            DefaultPort = null,
            // With fullEvery: incrementals on the newest backup of this source, a new Full once the last one is that old.
            Backup = c => new CellBackupOperation(c.Observer).Run(new CellBackupRequest(c.Repository, c.Cell.Name, c.Source.Path!,
                c.Source.FullEvery is null ? BackupKind.Full : BackupKind.Incremental, null, c.Keys, c.LockTimeout, c.Tags, c.Source.FullEvery), c.Cancel),
            Restore = Restore,
            SameSource = (m, s) => m.Source == s.Path,
            Destination = s => s.Path!,
        }),
    };

    /// <summary>The service holding the files is stopped around the swap, and started again whatever happened.</summary>
    private static RestoreOutcome? Restore(PlanRestoreContext c)
    {
        c.Control.Stop();
        try
        {
            return new CellRestoreOperation(c.Observer).Run(new CellRestoreRequest(c.Repository, null, c.Manifest.Id, null, c.Source.Path, c.SkipSafetyBackup,
                c.Keys, c.LockTimeout, (_, _) => true), c.Cancel);
        }
        finally
        {
            c.Control.Start();
        }
    }
}
