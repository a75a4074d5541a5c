using System.Text.Json.Nodes;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Replication;

/// <summary>Copy-Backup end to end on real cell backups: chains, idempotence, damage on either side, bad targets.</summary>
public sealed class CopyBackupTests : ReplicationTestBase
{
    [Fact]
    public void Piped_chain_is_copied_verbatim_verified_in_the_target_and_restores_from_it()
    {
        InitRepoWithKey();
        InitTarget();
        var full = Backup();
        var inc = Change("Incremental");
        var snapshot = Snapshot();

        var checks = RunT("Get-Backup -Repository $repo | Copy-Backup -Target $target | Test-BackupIntegrity -KeyFile $key").AssertNoErrors().Objects<IntegrityResult>().ToList();

        Assert.Equal(Ids(full, inc), checks.Select(c => c.Id));
        Assert.All(checks, c => Assert.True(c.Passed));
        Assert.All(checks, c => Assert.Equal(TargetLocation, c.Repository));
        Assert.Equal(File.ReadAllBytes(SourceObject(full.Id)), File.ReadAllBytes(Path.Combine(TargetFolder(full.Id), "data")));
        Assert.Equal(Ids(full, inc), IdsIn(Target));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Target, "tmp")));
        Assert.False(Leases.AnyIn(Target));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(TargetFolder(inc.Id), "manifest.json")));
        AssertRestoresFromTarget(inc, snapshot);

        File.WriteAllText(Path.Combine(Cell, "late.txt"), "after the copy\n");
        var shipped = RunT("Backup-Cell crm $cell -Repository $repo -KeyFile $key -Type Incremental | Copy-Backup -Target $target | Test-BackupIntegrity -KeyFile $key")
            .AssertNoErrors().Single<IntegrityResult>();
        Assert.True(shipped.Passed);
        Assert.Equal(TargetLocation, shipped.Repository);
        Assert.Equal(IdsIn(Repo), IdsIn(Target));
    }

    [Fact]
    public void Copying_an_incremental_brings_the_parents_the_target_lacks_first()
    {
        InitRepoWithKey();
        InitTarget();
        var full = Backup();
        var inc1 = Change("Incremental");
        var inc2 = Change("Incremental");
        var snapshot = Snapshot();

        var copied = RunT("Copy-Backup $id -Repository $repo -Target $target", ("id", inc2.Id)).AssertNoErrors().Single<BackupRecord>();

        Assert.Equal(inc2.Id, copied.Id);
        Assert.Equal(TargetLocation, copied.Repository);
        Assert.Equal(inc2.Sha256, copied.Sha256);
        Assert.Equal(Ids(full, inc1, inc2), IdsIn(Target));
        AssertRestoresFromTarget(inc2, snapshot);
    }

    [Fact]
    public void A_second_copy_checks_the_hashes_and_skips_without_rewriting()
    {
        InitRepoWithKey();
        InitTarget();
        var full = Backup();
        RunT("Copy-Backup $id -Repository $repo -Target $target", ("id", full.Id)).AssertNoErrors();
        var data = Path.Combine(TargetFolder(full.Id), "data");
        var manifest = Path.Combine(TargetFolder(full.Id), "manifest.json");
        var written = (File.GetLastWriteTimeUtc(data), File.GetLastWriteTimeUtc(manifest));
        Thread.Sleep(20);

        var again = RunT("Get-Backup -Repository $repo | Copy-Backup -Target $target").AssertNoErrors().Single<BackupRecord>();

        Assert.Equal(full.Id, again.Id);
        Assert.Equal(TargetLocation, again.Repository);
        Assert.Equal(written, (File.GetLastWriteTimeUtc(data), File.GetLastWriteTimeUtc(manifest)));
    }

    [Fact]
    public void A_damaged_or_different_backup_at_the_target_fails_loudly_and_is_never_overwritten()
    {
        InitRepoWithKey();
        InitTarget();
        var full = Backup();
        RunT("Copy-Backup $id -Repository $repo -Target $target", ("id", full.Id)).AssertNoErrors();
        var data = Path.Combine(TargetFolder(full.Id), "data");
        FlipByte(data); // same size: only re-hashing can see it
        var damaged = File.ReadAllBytes(data);

        var result = RunT("Copy-Backup $id -Repository $repo -Target $target", ("id", full.Id));
        var error = result.AssertError("DestinationObjectDamaged");
        Assert.Contains(full.Id, error.Exception.Message);
        Assert.Empty(result.Objects<BackupRecord>());
        Assert.Equal(damaged, File.ReadAllBytes(data));

        // A manifest that describes other bytes under the same id: a different backup, not a copy of this one.
        var manifestPath = Path.Combine(TargetFolder(full.Id), "manifest.json");
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        manifest["objects"]!["data"]!["rawSha256"] = new string('0', 64);
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        RunT("Copy-Backup $id -Repository $repo -Target $target", ("id", full.Id)).AssertError("DestinationBackupDiffers");
        Assert.Equal(damaged, File.ReadAllBytes(data));
        Assert.Contains(new string('0', 64), File.ReadAllText(manifestPath));
    }

    [Fact]
    public void A_damaged_source_object_fails_the_copy_and_leaves_no_manifest_or_object_at_the_target()
    {
        InitRepoWithKey();
        InitTarget();
        var full = Backup();
        FlipByte(SourceObject(full.Id));

        var error = RunT("Copy-Backup $id -Repository $repo -Target $target", ("id", full.Id)).AssertError("SourceObjectDamaged");

        Assert.Contains("data", error.Exception.Message);
        Assert.Empty(IdsIn(Target));
        Assert.False(Directory.Exists(TargetFolder(full.Id)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Target, "tmp")));
    }

    [Fact]
    public void A_missing_target_the_source_itself_and_an_encrypted_only_target_are_clear_errors()
    {
        InitRepoWithKey();
        var full = Backup();

        var missing = RunT("Copy-Backup $id -Repository $repo -Target $target", ("id", full.Id)).AssertError("RepositoryNotFound");
        Assert.Contains("-Target", missing.Exception.Message);
        Assert.Contains("Initialize-BackupRepository", missing.ErrorDetails.RecommendedAction);
        Assert.False(Directory.Exists(Target));

        RunT("Copy-Backup $id -Repository $repo -Target $repo", ("id", full.Id)).AssertError("ReplicationSameRepository");

        var plainRepo = Temp.Sub("plain");
        Run("Initialize-BackupRepository -Format v1 -Path $p | Out-Null; Backup-Cell crm $cell -Repository $p | Out-Null", ("p", plainRepo)).AssertNoErrors();
        var plain = IdsIn(plainRepo).Single();
        InitTarget("-RequireEncryption");
        var refused = RunT("Copy-Backup $id -Repository $p -Target $target", ("id", plain), ("p", plainRepo)).AssertError("DestinationRequiresEncryption");
        Assert.Contains("-Target", refused.Exception.Message);
        Assert.Empty(IdsIn(Target));
        Assert.False(Directory.Exists(TargetFolder(plain)));
    }

    [Fact]
    public void WhatIf_copies_nothing()
    {
        InitRepoWithKey();
        InitTarget();
        Backup();
        Change("Incremental");
        var result = RunT("Get-Backup -Repository $repo | Copy-Backup -Target $target -WhatIf").AssertNoErrors();
        Assert.Empty(result.Output);
        Assert.False(Directory.Exists(Path.Combine(Target, "backups")));
    }
}
