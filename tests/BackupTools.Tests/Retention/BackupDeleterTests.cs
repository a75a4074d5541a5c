using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Retention;

/// <summary>BackupDeleter without PowerShell: what a "no" at -Confirm and a held lock do.</summary>
[Collection("lease-duration")] // takes the writer lock; WriterLockTests change its lease duration
public sealed class BackupDeleterTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly BackupRepository _repository;
    private readonly string _cell;

    public BackupDeleterTests()
    {
        _repository = BackupRepository.Initialize(new LocalBackupStore(_temp.Sub("repo")), new RepositoryDefaults(), formatVersion: 1);
        _cell = _temp.Sub("cell");
        SampleTree.Create(_cell);
    }

    private BackupRecord Backup(BackupKind kind)
    {
        File.WriteAllText(Path.Combine(_cell, $"f-{Guid.NewGuid():N}"), "x");
        return new CellBackupOperation(NullObserver.Instance).Run(new CellBackupRequest(new RepositoryReference(_temp.Sub("repo")), "crm", _cell, kind, null, null, TimeSpan.Zero), CancellationToken.None);
    }

    [Fact]
    public void Declining_the_dependent_keeps_its_parent_too()
    {
        var full = Backup(BackupKind.Full);
        var inc = Backup(BackupKind.Incremental);
        var asked = new List<string>();
        var results = new BackupDeleter(_repository, NullObserver.Instance).Remove([full.Id, inc.Id], force: false, TimeSpan.Zero,
            (target, _) => { asked.Add(target); return target == full.Id; }, CancellationToken.None);

        Assert.Equal([inc.Id, full.Id], asked); // newest first: dependents before what they build on
        Assert.False(results.Single(r => r.Id == inc.Id).Removed);
        Assert.Equal("BackupHasDependents", results.Single(r => r.Id == full.Id).Error?.ErrorId);
        Assert.Equal(2, _repository.ListManifests().Count);
    }

    [Fact]
    public void Deletion_waits_for_the_writer_lock_and_reports_it_per_backup()
    {
        var full = Backup(BackupKind.Full);
        using (WriterLock.AcquireExclusive(_repository, "another writer", TimeSpan.Zero))
        {
            var result = Assert.Single(new BackupDeleter(_repository, NullObserver.Instance).Remove([full.Id], false, TimeSpan.Zero, (_, _) => true, CancellationToken.None));
            Assert.Equal("RepositoryLocked", result.Error?.ErrorId);
        }
        Assert.Single(_repository.ListManifests());
    }

    [Fact]
    public void Dependents_are_found_through_the_whole_chain()
    {
        var full = Backup(BackupKind.Full);
        var inc1 = Backup(BackupKind.Incremental);
        var inc2 = Backup(BackupKind.Incremental);
        var diff = Backup(BackupKind.Differential);
        var manifests = _repository.ListManifests();
        var fullManifest = manifests.Single(m => m.Id == full.Id);
        Assert.Equal(new[] { inc1.Id, inc2.Id, diff.Id }.Order(), BackupDeleter.DependentsOf(fullManifest, manifests).Order());
        Assert.Equal(new[] { inc1.Id, diff.Id }.Order(), BackupDeleter.DependentsOf(fullManifest, manifests, new HashSet<string> { inc2.Id }).Order());
    }

    public void Dispose() => _temp.Dispose();
}
