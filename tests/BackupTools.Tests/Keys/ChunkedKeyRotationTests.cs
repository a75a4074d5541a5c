using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Chunked;

namespace BackupTools.Tests.Keys;

/// <summary>
/// Rotation of a format-2 repository: index files and the chunk secret's wraps are re-wrapped, packs and manifests never
/// touched. Backups share chunks across index files (deduplication), yet a crash at any write leaves every backup
/// readable whole with the old key alone or with the new key alone; a rerun finishes; then the old key goes.
/// </summary>
public sealed class ChunkedKeyRotationTests : CellTestBase
{
    private string PrivateKey => Temp.Sub("pair.json");
    private string PublicKey => Temp.Sub("pair.public.json");

    private sealed class InjectedCrash : Exception;

    private List<BackupRecord> TwentyBackups()
    {
        InitRepoWithKey(createCell: false, format: "v2");
        Directory.CreateDirectory(Cell);
        ChunkedRepo.AddRandomFile(Path.Combine(Cell, "shared.bin"), 3 << 20); // chunks every backup shares: they sit in the first backup's packs
        var backups = new List<BackupRecord>();
        for (var i = 1; i <= 20; i++)
        {
            File.WriteAllText(Path.Combine(Cell, "n.txt"), i.ToString());
            backups.Add(Backup());
        }
        return backups;
    }

    /// <summary>Runs a rotation that "crashes" right after its <paramref name="call"/>-th write.</summary>
    private void CrashAfterWrite(BackupKey from, BackupKey to, int call)
    {
        using var repository = BackupRepository.Open(new LocalBackupStore(Repo));
        var writes = 0;
        var rotation = new KeyRotation(NullObserver.Instance) { AfterWrite = (_, _) => { if (++writes == call) throw new InjectedCrash(); } };
        Assert.Throws<InjectedCrash>(() => rotation.Run(repository, from, to, TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public void V2_rotation_onto_a_public_key_killed_at_several_points_resumes_and_then_the_old_key_can_be_deleted()
    {
        var backups = TwentyBackups();
        var ids = backups.Select(b => b.Id).ToList();
        Run("New-BackupKey -Path $p -KeyPair -Name next | Out-Null", ("p", PrivateKey)).AssertNoErrors();
        var oldKey = BackupKeyFile.Read(KeyPath);
        var pair = BackupKeyFile.Read(PrivateKey);
        var publicKey = BackupKeyFile.Read(PublicKey);
        var indexFiles = RotationProbe.IndexFilesUnder(Repo, oldKey.Id);
        Assert.True(indexFiles >= 20, $"{indexFiles} index files: expected one per backup");
        var immutable = RotationProbe.ImmutableObjects(Repo);

        // Crash right after the chunk secret's new wrap; then after five new index files (old ones all still there).
        CrashAfterWrite(oldKey, publicKey, 1);
        RotationProbe.AssertEveryBackupReadsWith(Repo, oldKey, ids);
        CrashAfterWrite(oldKey, publicKey, 5);
        Assert.Equal((indexFiles, 5), (RotationProbe.IndexFilesUnder(Repo, oldKey.Id), RotationProbe.IndexFilesUnder(Repo, pair.Id)));
        RotationProbe.AssertEveryBackupReadsWith(Repo, oldKey, ids);
        Assert.Contains(ids, id => !RotationProbe.ReadsWith(Repo, pair, id)); // most backups' own index files are not rewritten yet

        // The rerun skips the five done files and records each backup's new key (20 records); crash after three old files
        // were deleted: now the new key reads every backup.
        CrashAfterWrite(oldKey, publicKey, indexFiles - 5 + 20 + 3);
        Assert.Equal((indexFiles - 3, indexFiles), (RotationProbe.IndexFilesUnder(Repo, oldKey.Id), RotationProbe.IndexFilesUnder(Repo, pair.Id)));
        RotationProbe.AssertEveryBackupReadsWithEither(Repo, oldKey, pair, ids);
        RotationProbe.AssertEveryBackupReadsWith(Repo, pair, ids);

        var results = Run("Update-BackupKey -Repository $repo -From $key -To $pub -Confirm:$false", ("pub", PublicKey)).AssertNoErrors().Objects<KeyRotationResult>().ToList();
        Assert.Equal(20, results.Count);
        Assert.All(results, r => Assert.Equal(pair.Id, r.NeedsNow));
        Assert.Equal((0, indexFiles), (RotationProbe.IndexFilesUnder(Repo, oldKey.Id), RotationProbe.IndexFilesUnder(Repo, pair.Id)));
        Assert.DoesNotContain(oldKey.Id, File.ReadAllText(Path.Combine(Repo, "repository.json")));
        foreach (var (file, bytes) in immutable) Assert.Equal(bytes, File.ReadAllBytes(file)); // packs and manifests untouched

        // The old key goes; the private key file reads and restores everything, and a write-only host keeps deduplicating.
        File.Delete(KeyPath);
        var checks = Run("Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $priv", ("priv", PrivateKey)).AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(20, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed, string.Join("; ", c.Checks)));
        foreach (var i in new[] { 1, 12, 20 })
        {
            var dest = Temp.Sub($"restored-{i}");
            Run("Restore-Cell -Id $id -Repository $repo -KeyFile $priv -Destination $d -Confirm:$false", ("id", backups[i - 1].Id), ("priv", PrivateKey), ("d", dest)).AssertNoErrors();
            Assert.Equal(i.ToString(), File.ReadAllText(Path.Combine(dest, "n.txt")).Trim());
            Assert.Equal(File.ReadAllBytes(Path.Combine(Cell, "shared.bin")), File.ReadAllBytes(Path.Combine(dest, "shared.bin")));
        }
        var next = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $pub", ("pub", PublicKey)).AssertNoErrors().Single<BackupRecord>();
        // Only the chunk holding the tar's head (meta entry, changed file) is new, as for the 20th backup before the rotation
        // (cut points depend on the repository's secret, so the size of that chunk varies from run to run).
        Assert.True(next.StoredBytes <= backups[19].StoredBytes * 1.1 && next.StoredBytes < backups[0].StoredBytes,
            $"after rotation a backup stored {next.StoredBytes} bytes, the 20th before it {backups[19].StoredBytes}, the first {backups[0].StoredBytes}");
    }
}
