using BackupTools.Core.Operations;
using BackupTools.Core.Replication;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Replication;

/// <summary>Sync-BackupRepository end to end on real cell backups, including a sync interrupted and resumed.</summary>
[Collection("lease-duration")] // holds the destination's writer lock in one test; WriterLockTests change its lease duration
public sealed class SyncRepositoryTests : ReplicationTestBase
{
    private List<SyncResult> Sync(string options = "") =>
        RunT($"Sync-BackupRepository -Source $repo -Destination $target {options}").AssertNoErrors().Objects<SyncResult>().ToList();

    [Fact]
    public void Sync_copies_what_the_destination_lacks_and_reports_every_backup()
    {
        InitRepoWithKey();
        InitTarget();
        var full = Backup();
        var inc = Change("Incremental");

        var first = Sync();
        Assert.Equal(Ids(full, inc), first.Select(r => r.Id));
        Assert.All(first, r => Assert.Equal(SyncAction.Copied, r.Action));
        Assert.Equal([full.StoredBytes, inc.StoredBytes], first.Select(r => r.Bytes));
        Assert.All(first, r => Assert.Equal(TargetLocation, r.Destination));

        var inc2 = Change("Incremental");
        var snapshot = Snapshot();
        var second = Sync();
        Assert.Equal(Ids(full, inc, inc2), second.Select(r => r.Id));
        Assert.Equal([SyncAction.Skipped, SyncAction.Skipped, SyncAction.Copied], second.Select(r => r.Action));
        Assert.Equal([0, 0, inc2.StoredBytes], second.Select(r => r.Bytes));

        var checks = RunT("Sync-BackupRepository $repo $target | Test-BackupIntegrity -KeyFile $key").AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(3, checks.Count(c => c.Passed && c.Repository == TargetLocation));
        AssertRestoresFromTarget(inc2, snapshot);
    }

    /// <summary>
    /// Cancels the sync (the way Ctrl+C or a stopped pipeline does) in the middle of copying one object of the
    /// second backup, then resumes with the cmdlet: the interrupted backup must not exist at the destination
    /// until the resumed run completes it, and afterwards everything verifies and restores.
    /// </summary>
    [Theory]
    [InlineData("data")]
    [InlineData("index")]
    public void An_interrupted_sync_leaves_no_partial_backup_and_the_next_run_completes_it(string interruptedRole)
    {
        InitRepoWithKey();
        InitTarget();
        var full1 = Backup();
        var full2 = Change("Full");
        var inc = Change("Incremental");
        var snapshot = Snapshot();
        using var stop = new CancellationTokenSource();
        var observer = new CancelOnProgress(stop, status => status == $"{full2.Id} {interruptedRole}");

        Assert.ThrowsAny<OperationCanceledException>(() =>
            new RepositorySync(observer).Run(new SyncRequest(new RepositoryReference(Repo), new RepositoryReference(Target), null, TimeSpan.Zero, (_, _) => true), stop.Token));

        Assert.True(observer.Fired);
        Assert.Equal(Ids(full1), IdsIn(Target));
        Assert.False(File.Exists(Path.Combine(TargetFolder(full2.Id), "manifest.json")));
        Assert.Equal(interruptedRole == "index", File.Exists(Path.Combine(TargetFolder(full2.Id), "data"))); // data complete before index started
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Target, "tmp"))); // the half-written object was discarded
        Assert.False(Leases.AnyIn(Target));
        File.WriteAllText(Path.Combine(Target, "tmp", "crashed-writer.part"), "debris a killed process would leave");

        var resumed = Sync();

        Assert.Equal(Ids(full1, full2, inc), resumed.Select(r => r.Id));
        Assert.Equal([SyncAction.Skipped, SyncAction.Copied, SyncAction.Copied], resumed.Select(r => r.Action));
        var dataBytes = new FileInfo(SourceObject(full2.Id)).Length;
        var reused = resumed[1];
        Assert.Equal(interruptedRole == "index" ? dataBytes : 0, reused.ReusedBytes);
        Assert.Equal(full2.StoredBytes - reused.ReusedBytes, reused.Bytes);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Target, "tmp")));
        var checks = RunT("Get-Backup -Repository $target | Test-BackupIntegrity -KeyFile $key").AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(3, checks.Count(c => c.Passed));
        AssertRestoresFromTarget(inc, snapshot);
    }

    [Fact]
    public void Cell_limits_the_sync_to_those_cells()
    {
        InitRepoWithKey();
        InitTarget();
        Backup();
        var other = BackupOtherCell();

        var results = Sync("-Cell other");
        Assert.Equal(Ids(other), results.Select(r => r.Id));
        Assert.Equal(SyncAction.Copied, results.Single().Action);
        Assert.Equal("other", results.Single().Cell);
        Assert.Equal(Ids(other), IdsIn(Target));

        var none = RunT("Sync-BackupRepository $repo $target -Cell nosuch").AssertNoErrors();
        Assert.Empty(none.Output);
        Assert.Contains(none.Warnings, w => w.Contains("nosuch", StringComparison.Ordinal));
        RunT("Sync-BackupRepository $repo $target -Cell '../x'").AssertError("CellNameInvalid");
    }

    [Fact]
    public void WhatIf_copies_nothing()
    {
        InitRepoWithKey();
        InitTarget();
        Backup();
        BackupOtherCell();
        var result = Sync("-WhatIf");
        Assert.Empty(result);
        Assert.Empty(IdsIn(Target));
        Assert.False(Directory.Exists(Path.Combine(Target, "backups")));
    }

    [Fact]
    public void A_missing_or_uninitialised_repository_is_a_clear_error_naming_the_parameter()
    {
        InitRepoWithKey();
        Backup();

        var missing = RunT("Sync-BackupRepository -Source $repo -Destination $target").AssertError("RepositoryNotFound");
        Assert.Contains("-Destination", missing.Exception.Message);
        Assert.Contains("Initialize-BackupRepository", missing.ErrorDetails.RecommendedAction);
        Assert.False(Directory.Exists(Target));

        Directory.CreateDirectory(Target);
        RunT("Sync-BackupRepository -Source $repo -Destination $target").AssertError("RepositoryNotFound");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Target));

        var source = RunT("Sync-BackupRepository -Source $nowhere -Destination $repo", ("nowhere", Temp.Sub("nowhere"))).AssertError("RepositoryNotFound");
        Assert.Contains("-Source", source.Exception.Message);
        RunT("Sync-BackupRepository -Source $repo -Destination $repo").AssertError("ReplicationSameRepository");
    }

    [Fact]
    public void A_damaged_source_backup_fails_alone_and_what_builds_on_it_is_not_copied_without_it()
    {
        InitRepoWithKey();
        InitTarget();
        var full = Backup();
        var inc = Change("Incremental");
        var other = BackupOtherCell();
        FlipByte(SourceObject(full.Id));

        var result = RunT("Sync-BackupRepository $repo $target");
        result.AssertError("SourceObjectDamaged");
        result.AssertError("CopyParentFailed");
        var report = result.Objects<SyncResult>().ToDictionary(r => r.Id);
        Assert.Equal(SyncAction.Failed, report[full.Id].Action);
        Assert.Equal("SourceObjectDamaged", report[full.Id].ErrorId);
        Assert.Equal(SyncAction.Failed, report[inc.Id].Action);
        Assert.Equal("CopyParentFailed", report[inc.Id].ErrorId);
        Assert.Equal(SyncAction.Copied, report[other.Id].Action);
        Assert.Equal(Ids(other), IdsIn(Target));
        Assert.False(Directory.Exists(TargetFolder(full.Id)));
        Assert.False(Directory.Exists(TargetFolder(inc.Id)));
    }

    [Fact]
    public void An_incremental_is_never_copied_onto_a_different_backup_of_its_parents_id()
    {
        InitRepoWithKey();
        InitTarget();
        var full = Backup();
        RunT("Copy-Backup $id -Repository $repo -Target $target", ("id", full.Id)).AssertNoErrors();
        var manifestPath = Path.Combine(TargetFolder(full.Id), "manifest.json");
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!;
        manifest["objects"]!["index"]!["sha256"] = new string('f', 64);
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        var inc = Change("Incremental");

        var result = RunT("Sync-BackupRepository $repo $target");
        result.AssertError("DestinationBackupDiffers");
        result.AssertError("CopyParentFailed");
        Assert.Equal([SyncAction.Failed, SyncAction.Failed], result.Objects<SyncResult>().Select(r => r.Action));
        RunT("Copy-Backup $id -Repository $repo -Target $target", ("id", inc.Id)).AssertError("DestinationBackupDiffers");
        Assert.False(Directory.Exists(TargetFolder(inc.Id)));
    }

    [Fact]
    public void A_destination_locked_by_another_writer_is_refused_and_nothing_is_copied()
    {
        InitRepoWithKey();
        InitTarget();
        Backup();
        var destination = BackupRepository.Open(new LocalBackupStore(Target));
        using (WriterLock.AcquireExclusive(destination, "another writer", TimeSpan.Zero))
        {
            RunT("Sync-BackupRepository $repo $target -LockTimeoutSec 0").AssertError("RepositoryLocked");
            Assert.Empty(IdsIn(Target));
        }
        Assert.Single(Sync());
    }

    private sealed class CancelOnProgress(CancellationTokenSource stop, Func<string, bool> when) : IOperationObserver
    {
        public bool Fired { get; private set; }

        public void Progress(string activity, string status, long bytesDone, long? bytesTotal)
        {
            if (Fired || !when(status)) return;
            Fired = true;
            stop.Cancel();
        }

        public void Warning(string message) { }
        public void Verbose(string message) { }
    }
}
