using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Plans;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Keys;

/// <summary>
/// Rotation re-wraps data keys without touching data or manifests; a crash at any write leaves every backup readable
/// by the old or the new key, a rerun finishes, and then the old key file can be deleted.
/// </summary>
[Collection("environment")]
public sealed class KeyRotationTests : CellTestBase
{
    private string NewKey => Temp.Sub("new.json");

    private sealed class InjectedCrash : Exception;

    private List<BackupRecord> TwentyBackups()
    {
        InitRepoWithKey(createCell: false);
        Directory.CreateDirectory(Cell);
        var backups = new List<BackupRecord>();
        for (var i = 1; i <= 20; i++)
        {
            File.WriteAllText(Path.Combine(Cell, "n.txt"), i.ToString());
            backups.Add(Backup());
        }
        return backups;
    }

    private static bool Opens(BackupRepository repository, BackupKey key, BackupRecord record)
    {
        var ring = new BackupKeyRing();
        ring.Add(key);
        try { return BackupDataKey.Unwrap(repository, repository.GetManifest(record.Id), ring)!.Length == 32; }
        catch (BackupTools.Core.Errors.BackupKeyException) { return false; }
    }

    private static void AssertEveryBackupOpensWith(BackupRepository repository, BackupKey key, IEnumerable<BackupRecord> backups) =>
        Assert.All(backups, b => Assert.True(Opens(repository, key, b), $"{b.Id} does not open with {key.Id}"));

    /// <summary>The crash-safety promise: with the old key alone, or the new key alone.</summary>
    private static void AssertEveryBackupOpensWithEither(BackupRepository repository, BackupKey old, BackupKey fresh, IEnumerable<BackupRecord> backups) =>
        Assert.All(backups, b => Assert.True(Opens(repository, old, b) || Opens(repository, fresh, b), $"{b.Id} opens with neither {old.Id} nor {fresh.Id}"));

    private static void CrashingRotation(BackupKey from, BackupKey to, string repo, string crashId, int crashStep)
    {
        using var repository = BackupRepository.Open(new LocalBackupStore(repo));
        var rotation = new KeyRotation(NullObserver.Instance) { AfterWrite = (id, s) => { if (id == crashId && s == crashStep) throw new InjectedCrash(); } };
        Assert.Throws<InjectedCrash>(() => rotation.Run(repository, from, to, TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public void Rotation_killed_at_several_points_resumes_and_then_the_old_key_can_be_deleted()
    {
        var backups = TwentyBackups();
        Run("New-BackupKey -Path $k | Out-Null; New-BackupKey -Path $t | Out-Null", ("k", NewKey), ("t", Temp.Sub("third.json"))).AssertNoErrors();
        var oldKey = BackupKeyFile.Read(KeyPath);
        var newKey = BackupKeyFile.Read(NewKey);
        var thirdKey = BackupKeyFile.Read(Temp.Sub("third.json"));
        var objectsBefore = Directory.EnumerateFiles(Temp.Sub("repo/backups"), "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);

        // First rotation (one write per backup: the old wrap is the manifest's): crashes after backups 3, 9 and 17.
        foreach (var index in new[] { 2, 8, 16 })
        {
            CrashingRotation(oldKey, newKey, Repo, backups[index].Id, 1);
            using var repository = BackupRepository.Open(new LocalBackupStore(Repo));
            AssertEveryBackupOpensWith(repository, oldKey, backups);
            AssertEveryBackupOpensWith(repository, newKey, backups.Take(index + 1));
        }
        var results = Run("Update-BackupKey -Repository $repo -From $key -To $k -Confirm:$false", ("k", NewKey)).AssertNoErrors().Objects<KeyRotationResult>().ToList();
        Assert.Equal((17, 3), (results.Count(r => r.Outcome == KeyRotationOutcome.AlreadyRotated), results.Count(r => r.Outcome == KeyRotationOutcome.Rewrapped)));
        Assert.All(Run("Get-Backup -Repository $repo").AssertNoErrors().Objects<BackupRecord>(), r => Assert.Equal(newKey.Id, r.KeyId));

        // Second rotation (two writes per backup: add the third key's wrap, drop the second's): crash between them on backup 6,
        // and after the first write on backup 12.
        CrashingRotation(newKey, thirdKey, Repo, backups[5].Id, 2);
        CrashingRotation(newKey, thirdKey, Repo, backups[11].Id, 1);
        using (var repository = BackupRepository.Open(new LocalBackupStore(Repo)))
        {
            AssertEveryBackupOpensWithEither(repository, newKey, thirdKey, backups);
            AssertEveryBackupOpensWith(repository, thirdKey, backups.Take(12));
            AssertEveryBackupOpensWith(repository, newKey, backups.Skip(11)); // backup 12: both wraps (crashed between the writes); later ones untouched
        }
        results = Run("Update-BackupKey -Repository $repo -From $k -To $t -Confirm:$false", ("k", NewKey), ("t", Temp.Sub("third.json"))).AssertNoErrors().Objects<KeyRotationResult>().ToList();
        Assert.Equal(20, results.Count);
        Assert.Equal(KeyRotationOutcome.Rewrapped, results.Single(r => r.Id == backups[11].Id).Outcome); // its second key's wrap dropped now
        Assert.Equal(KeyRotationOutcome.AlreadyRotated, results.Single(r => r.Id == backups[0].Id).Outcome);
        Assert.DoesNotContain(Run("Update-BackupKey -Repository $repo -From $k -To $t -Confirm:$false", ("k", NewKey), ("t", Temp.Sub("third.json"))).AssertNoErrors()
            .Objects<KeyRotationResult>(), r => r.Outcome == KeyRotationOutcome.Rewrapped);

        // Data objects and manifests are byte-identical: only keywraps/ changed.
        foreach (var (file, bytes) in objectsBefore) Assert.Equal(bytes, File.ReadAllBytes(file));

        // Every backup needs the third key now; the older key files go, and every backup still restores.
        Assert.All(Run("Get-Backup -Repository $repo").AssertNoErrors().Objects<BackupRecord>(), r => Assert.Equal(thirdKey.Id, r.KeyId));
        File.Delete(KeyPath);
        File.Delete(NewKey);
        var checks = Run("Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $t", ("t", Temp.Sub("third.json"))).AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(20, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed, string.Join("; ", c.Checks)));
        foreach (var i in new[] { 1, 12, 20 })
        {
            var dest = Temp.Sub($"restored-{i}");
            Run("Restore-Cell -Id $id -Repository $repo -KeyFile $t -Destination $d -Confirm:$false", ("id", backups[i - 1].Id), ("t", Temp.Sub("third.json")), ("d", dest)).AssertNoErrors();
            Assert.Equal(i.ToString(), File.ReadAllText(Path.Combine(dest, "n.txt")).Trim());
        }
    }

    [Fact]
    public void Status_warns_about_backups_that_still_need_a_key_older_than_the_rotation_period_until_rotated()
    {
        TwentyBackups();
        Run("New-BackupKey -Path $k | Out-Null", ("k", NewKey)).AssertNoErrors();
        var oldId = BackupKeyFile.Read(KeyPath).Id;
        // The old key was created "now"; a rotation period shorter than its age (1 s after a pause) makes it overdue.
        Thread.Sleep(1100);
        var before = Run("Get-BackupStatus -Repository $repo -KeyRotationPeriod 1s");
        before.AssertError("BackupUnhealthy");
        var status = before.Single<BackupStatus>();
        Assert.Equal([oldId], status.KeysNeeded);
        Assert.Contains(status.Warnings, w => w.Contains($"20 backup(s) still need key {oldId}") && w.Contains("Update-BackupKey"));
        Assert.True(Run("Get-BackupStatus -Repository $repo -KeyRotationPeriod 90d").AssertNoErrors().Single<BackupStatus>().Healthy);
        var listed = Run("Get-Backup -Repository $repo -Latest -KeyRotationPeriod 1s").AssertNoErrors();
        Assert.Contains(listed.Warnings, w => w.Contains($"1 backup(s) still need key {oldId}"));

        Run("Update-BackupKey -Repository $repo -From $key -To $k -Confirm:$false | Out-Null", ("k", NewKey)).AssertNoErrors();
        var after = Run("Get-BackupStatus -Repository $repo -KeyRotationPeriod 1h").AssertNoErrors().Single<BackupStatus>();
        Assert.Equal([BackupKeyFile.Read(NewKey).Id], after.KeysNeeded);
        Assert.True(after.Healthy, string.Join("; ", after.Warnings));
        Assert.Empty(Run("Get-Backup -Repository $repo -KeyRotationPeriod 1h").AssertNoErrors().Warnings);
    }

    [Fact]
    public void Rotation_refuses_a_public_key_as_the_old_key_and_the_same_key_twice()
    {
        InitRepoWithKey(createCell: false);
        var pair = BackupKey.GenerateKeyPair("old-pair");
        using var repository = BackupRepository.Open(new LocalBackupStore(Repo));
        var rotation = new KeyRotation(NullObserver.Instance);
        var denied = Assert.Throws<BackupTools.Core.Errors.BackupKeyException>(() => rotation.Run(repository, pair.PublicHalf(), BackupKey.Generate(), TimeSpan.Zero, CancellationToken.None));
        Assert.Equal("PrivateKeyRequired", denied.ErrorId);
        Assert.Contains("'old-pair'", denied.Message);
        Assert.Equal("KeyRotationSameKey", Assert.Throws<BackupTools.Core.Errors.BackupInputException>(() => rotation.Run(repository, pair, pair.PublicHalf(), TimeSpan.Zero, CancellationToken.None)).ErrorId);
    }

    [Fact]
    public void A_plan_states_its_key_rotation_period()
    {
        var path = Temp.Sub("backup.yml");
        File.WriteAllText(path, "version: 1\nrepository: /backups/main\nkeyRotation: 90d\ncells:\n  - name: crm\n    sources:\n      - name: files\n        type: directory\n        path: /srv/crm\n");
        var result = PlanLoader.Load(path);
        Assert.True(result.Valid, string.Join("\n", result.Problems));
        Assert.Equal(TimeSpan.FromDays(90), result.Plan!.KeyRotationPeriod);
        File.WriteAllText(path, File.ReadAllText(path).Replace("90d", "soon"));
        Assert.Contains(PlanLoader.Load(path).Problems, p => p.Key == "keyRotation");
    }

    [Fact]
    public void A_plan_run_warns_about_backups_that_need_a_key_older_than_its_key_rotation()
    {
        InitRepoWithKey();
        var plan = Temp.Sub("backup.yml");
        File.WriteAllText(plan, $"version: 1\nrepository: {Repo}\nkeys:\n  - file: {KeyPath}\nkeyRotation: 1s\nverify: {{ enabled: false }}\ncells:\n  - name: crm\n    sources:\n      - name: files\n        type: directory\n        path: {Cell}\n");
        Thread.Sleep(1100); // the key file is now older than the plan's rotation period
        var run = Run("Invoke-BackupPlan -Path $p", ("p", plan));
        Assert.Contains(run.Warnings, w => w.Contains("1 backup(s) still need key " + BackupKeyFile.Read(KeyPath).Id));
        File.WriteAllText(plan, File.ReadAllText(plan).Replace("keyRotation: 1s", "keyRotation: 90d"));
        Assert.DoesNotContain(Run("Invoke-BackupPlan -Path $p", ("p", plan)).Warnings, w => w.Contains("still need key"));
    }

    [Fact]
    public void Copy_carries_rotated_wraps_and_deletion_removes_them()
    {
        var backups = TwentyBackups().Take(2).ToList();
        Run("New-BackupKey -Path $k | Out-Null; Update-BackupKey -Repository $repo -From $key -To $k -Confirm:$false | Out-Null; Initialize-BackupRepository -Format v1 -Path $c | Out-Null; Copy-Backup -Id $id -Repository $repo -Target $c | Out-Null",
            ("k", NewKey), ("c", Temp.Sub("copy")), ("id", backups[0].Id)).AssertNoErrors();
        File.Delete(KeyPath);
        Assert.True(Run("Test-BackupIntegrity -Id $id -Repository $c -KeyFile $k", ("k", NewKey), ("c", Temp.Sub("copy")), ("id", backups[0].Id)).AssertNoErrors().Single<IntegrityResult>().Passed);
        Run("Remove-Backup -Id $id -Repository $repo -Confirm:$false", ("id", backups[1].Id)).AssertNoErrors();
        Assert.False(File.Exists(Path.Combine(Repo, "keywraps", backups[1].Id + ".json")));
        Assert.True(File.Exists(Path.Combine(Repo, "keywraps", backups[0].Id + ".json")));
    }
}
