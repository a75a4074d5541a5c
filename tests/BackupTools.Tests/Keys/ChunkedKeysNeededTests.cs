using System.Collections;
using System.Management.Automation;
using System.Net;
using BackupTools.Core.Keys;
using BackupTools.Core.Repository;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Chunked;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;
using BackupTools.Tests.Storage;

namespace BackupTools.Tests.Keys;

/// <summary>
/// Which keys a format-2 (chunked) backup needs: Get-Backup shows them (KeyId, KeyIds), Get-BackupStatus's rotation
/// warning counts chunked backups, and after Update-BackupKey no chunked backup reports the old key — on a local
/// repository and on S3. A backup that deduplicated against packs of an older key needs both keys, and says so.
/// </summary>
public sealed class ChunkedKeysNeededTests : CellTestBase
{
    private string PairPrivate => Temp.Sub("pair.json");
    private string PairPublic => Temp.Sub("pair.public.json");

    /// <summary>@store splats -StorageCredential for S3 (empty for a local repository).</summary>
    private PsResult On(string repo, Hashtable store, string script, params (string Name, object? Value)[] extra) =>
        Run(script, [("repo", repo), ("store", store), .. extra]);

    private List<BackupRecord> Records(string repo, Hashtable store) => On(repo, store, "Get-Backup -Repository $repo @store").AssertNoErrors().Objects<BackupRecord>().ToList();

    private void RotationRetiresTheOldKeyOfEveryChunkedBackup(string repo, Hashtable store)
    {
        On(repo, store, "Initialize-BackupRepository -Path $repo -Format v2 @store | Out-Null; New-BackupKey -Path $key | Out-Null").AssertNoErrors();
        Directory.CreateDirectory(Cell);
        ChunkedRepo.AddRandomFile(Path.Combine(Cell, "shared.bin"), 1 << 20);
        for (var i = 1; i <= 5; i++)
        {
            File.WriteAllText(Path.Combine(Cell, "n.txt"), i.ToString());
            On(repo, store, "Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key @store | Out-Null").AssertNoErrors();
        }
        var oldKey = BackupKeyFile.Read(KeyPath);
        Assert.All(Records(repo, store), r => Assert.Equal((oldKey.Id, oldKey.Id), (r.KeyId, string.Join(",", r.KeyIds))));

        // A host already given the new pair (-KeyFile old,new: the newest encrypts) stores new chunks under it and
        // references the shared file's chunks in the old key's packs: that backup needs both keys.
        Run("New-BackupKey -Path $p -KeyPair -Name next | Out-Null", ("p", PairPrivate)).AssertNoErrors();
        var pair = BackupKeyFile.Read(PairPrivate);
        File.WriteAllText(Path.Combine(Cell, "n.txt"), "6");
        var mixed = On(repo, store, "Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key,$pub @store", ("pub", PairPublic)).AssertNoErrors().Single<BackupRecord>();
        Assert.Equal(pair.Id, mixed.KeyId);
        Assert.Equal([pair.Id, oldKey.Id], mixed.KeyIds);

        // The old key was created "now": a 1 s rotation period after a pause makes it overdue for all six backups.
        Thread.Sleep(1100);
        var before = On(repo, store, "Get-BackupStatus -Repository $repo @store -KeyRotationPeriod 1s");
        before.AssertError("BackupUnhealthy");
        var status = before.Single<BackupStatus>();
        Assert.Equal(new[] { oldKey.Id, pair.Id }.Order(StringComparer.Ordinal), status.KeysNeeded);
        Assert.Contains(status.Warnings, w => w.Contains($"6 backup(s) still need key {oldKey.Id}"));
        Assert.Contains(On(repo, store, "Get-Backup -Repository $repo @store -Latest -KeyRotationPeriod 1s").AssertNoErrors().Warnings,
            w => w.Contains($"1 backup(s) still need key {oldKey.Id}"));

        var results = On(repo, store, "Update-BackupKey -Repository $repo @store -From $key -To $pub -Confirm:$false", ("pub", PairPublic)).AssertNoErrors().Objects<KeyRotationResult>().ToList();
        Assert.Equal(6, results.Count);
        Assert.All(results, r => Assert.Equal(pair.Id, r.NeedsNow));
        Assert.All(Records(repo, store), r => Assert.Equal((pair.Id, pair.Id, "next"), (r.KeyId, string.Join(",", r.KeyIds), r.KeyName)));
        var after = On(repo, store, "Get-BackupStatus -Repository $repo @store -KeyRotationPeriod 1h").AssertNoErrors().Single<BackupStatus>();
        Assert.Equal([pair.Id], after.KeysNeeded);
        Assert.True(after.Healthy, string.Join("; ", after.Warnings));
        Assert.DoesNotContain(On(repo, store, "Get-Backup -Repository $repo @store -KeyRotationPeriod 1s").AssertNoErrors().Warnings, w => w.Contains(oldKey.Id));

        // And it is true: with the old key file gone, the private key alone verifies every backup.
        File.Delete(KeyPath);
        var checks = On(repo, store, "Get-Backup -Repository $repo @store | Test-BackupIntegrity -KeyFile $priv @store", ("priv", PairPrivate)).AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(6, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed, string.Join("; ", c.Checks)));
    }

    [Fact]
    public void Local_chunked_backups_show_the_keys_they_need_are_warned_about_and_no_longer_need_the_old_key_after_rotation() =>
        RotationRetiresTheOldKeyOfEveryChunkedBackup(Repo, new Hashtable());

    [Fact]
    public void S3_chunked_backups_show_the_keys_they_need_are_warned_about_and_no_longer_need_the_old_key_after_rotation()
    {
        using var bucket = new S3TestBucket();
        var credential = new PSCredential(TestServers.S3.AccessKey, new NetworkCredential("", TestServers.S3.SecretKey).SecurePassword);
        RotationRetiresTheOldKeyOfEveryChunkedBackup(bucket.Uri("prod"), new Hashtable { ["StorageCredential"] = credential });
    }
}
