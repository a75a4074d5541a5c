using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Cells;

/// <summary>Damaged or missing pieces must end in a clear error, and a restore must never touch live data then.</summary>
public sealed class CellDamageTests : CellTestBase
{
    private string DataObject(BackupRecord record) => Path.Combine(Repo, "backups", record.Id, "data");

    private void AssertRestoreFailsAndLeavesLiveDataAlone(BackupRecord record, string errorId)
    {
        var before = TreeSnapshot.Take(Cell);
        File.WriteAllText(Path.Combine(Cell, "live-change.txt"), "written after the backup\n");
        var expected = TreeSnapshot.Take(Cell);
        Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -Confirm:$false", ("id", record.Id)).AssertError(errorId);
        Assert.Equal(expected, TreeSnapshot.Take(Cell));
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(Cell)!, ".crm.bt-restore-*"));
        Assert.NotEqual(before, expected);
    }

    [Fact]
    public void Flipped_byte_fails_verification_and_restore()
    {
        InitRepoWithKey();
        var record = Backup();
        using (var f = new FileStream(DataObject(record), FileMode.Open))
        {
            f.Position = f.Length / 2;
            var b = f.ReadByte();
            f.Position = f.Length / 2;
            f.WriteByte((byte)(b ^ 0x01));
        }
        var result = Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", record.Id));
        result.AssertError("BackupIntegrityCheckFailed");
        var integrity = result.Single<IntegrityResult>();
        Assert.False(integrity.Passed);
        Assert.Equal("data:decrypt+decompress", integrity.FailedCheck);
        AssertRestoreFailsAndLeavesLiveDataAlone(record, "EncryptedSegmentAuthenticationFailed");
    }

    [Fact]
    public void Truncated_object_fails_verification_and_restore()
    {
        InitRepoWithKey();
        var record = Backup();
        using (var f = new FileStream(DataObject(record), FileMode.Open)) f.SetLength(f.Length - 70_000);
        var integrity = Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", record.Id)).Single<IntegrityResult>();
        Assert.Equal("data:stored-size", integrity.FailedCheck);
        AssertRestoreFailsAndLeavesLiveDataAlone(record, "StoredSizeMismatch");
    }

    [Fact]
    public void Flipped_byte_in_unencrypted_backup_is_caught_by_hashes()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo -Compression none | Out-Null").AssertNoErrors();
        SampleTree.Create(Cell);
        var record = Run("Backup-Cell crm $cell -Repository $repo").AssertNoErrors().Single<BackupRecord>();
        using (var f = new FileStream(DataObject(record), FileMode.Open))
        {
            f.Position = f.Length / 2; // inside data.bin's random content, which dominates the archive
            var b = f.ReadByte();
            f.Position -= 1;
            f.WriteByte((byte)(b ^ 0x20));
        }
        var integrity = Run("Test-BackupIntegrity -Id $id -Repository $repo", ("id", record.Id)).Single<IntegrityResult>();
        Assert.False(integrity.Passed);
        Assert.Equal("data:sha256", integrity.FailedCheck);
    }

    [Fact]
    public void Wrong_key_is_a_clear_error_naming_the_key_id()
    {
        InitRepoWithKey();
        var record = Backup();
        Run("New-BackupKey -Path $other | Out-Null", ("other", Temp.Sub("other.json"))).AssertNoErrors();
        var error = Run("Restore-Cell -Id $id -Repository $repo -KeyFile $other -Destination $dest -Confirm:$false",
            ("id", record.Id), ("other", Temp.Sub("other.json")), ("dest", Temp.Sub("r"))).AssertError("KeyNotInKeyRing");
        Assert.Contains(record.KeyId!, error.Exception.Message);
        var integrity = Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $other", ("id", record.Id), ("other", Temp.Sub("other.json"))).Single<IntegrityResult>();
        Assert.Equal("data:key", integrity.FailedCheck);
        Assert.False(Directory.Exists(Temp.Sub("r")));
    }

    [Fact]
    public void Deleted_manifest_means_the_backup_does_not_exist()
    {
        InitRepoWithKey();
        var record = Backup();
        File.Delete(Path.Combine(Repo, "backups", record.Id, "manifest.json"));
        Assert.Empty(Run("Get-Backup -Repository $repo").AssertNoErrors().Output);
        Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", record.Id)).AssertError("BackupIntegrityCheckFailed");
        Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -Confirm:$false", ("id", record.Id)).AssertError("BackupNotFound");
    }

    [Fact]
    public void Missing_repository_and_bad_parameters_get_clear_errors()
    {
        SampleTree.Create(Cell);
        var error = Run("Backup-Cell crm $cell -Repository $repo").AssertError("RepositoryNotFound");
        Assert.Contains("Initialize-BackupRepository", error.ErrorDetails?.RecommendedAction ?? "");
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null").AssertNoErrors();
        Run("Backup-Cell 'bad name/..' $cell -Repository $repo").AssertError("CellNameInvalid");
        Run("Backup-Cell crm $missing -Repository $repo", ("missing", Temp.Sub("nope"))).AssertError("CellPathNotFound");
        Run("Backup-Cell crm $cell -Repository $repo -Compression gzip -CompressionLevel 42").AssertError("CompressionLevelOutOfRange");
        Run("Initialize-BackupRepository -Format v1 -Path $repo -Compression gzip").AssertError("RepositoryExistsWithOtherSettings");
        Run("Restore-Cell -Name ghost -Repository $repo -Confirm:$false").AssertError("RestoreNoBackups");
    }
}
