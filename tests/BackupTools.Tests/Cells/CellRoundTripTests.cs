using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Cells;

public sealed class CellRoundTripTests : CellTestBase
{
    [Fact]
    public void Backup_verify_restore_reproduces_the_tree_byte_for_byte()
    {
        InitRepoWithKey();
        var result = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key | Test-BackupIntegrity -KeyFile $key").AssertNoErrors();
        var integrity = result.Single<IntegrityResult>();
        Assert.True(integrity.Passed, string.Join("; ", integrity.Checks));
        Assert.Contains(integrity.Checks, c => c.Name == "data:archive" && c.Passed);
        Assert.Contains(integrity.Checks, c => c.Name == "data:sha256" && c.Passed);
        Assert.Contains(integrity.Checks, c => c.Name == "data:key" && c.Passed);

        var restored = Temp.Sub("restored");
        var restore = Run("Restore-Cell -Name crm -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", ("dest", restored)).AssertNoErrors().Single<RestoreResult>();
        Assert.False(restore.ReplacedExistingData);
        TreeSnapshot.AssertSame(Cell, restored);
    }

    [Fact]
    public void Restored_sparse_file_stays_sparse()
    {
        InitRepoWithKey();
        Backup();
        var restored = Temp.Sub("restored");
        Run("Restore-Cell -Name crm -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", ("dest", restored)).AssertNoErrors();
        var blocks = DiskUsage.AllocatedBytes(Path.Combine(restored, "sparse.img"));
        Assert.True(blocks < 4 * 1024 * 1024, $"sparse.img allocates {blocks} bytes after restore; expected well under its 64 MiB size");
    }

    [Fact]
    public void Backup_record_describes_the_backup_and_pipes_by_property()
    {
        InitRepoWithKey();
        var record = Backup();
        Assert.Equal("crm", record.Cell);
        Assert.Equal(BackupKind.Full, record.Kind);
        Assert.Equal(Cell, record.Source);
        Assert.StartsWith("k-", record.KeyId);
        Assert.Equal(64, record.Sha256.Length);
        Assert.True(record.RawBytes > 3 * 1024 * 1024);
        Assert.Equal(Path.GetFullPath(Repo), new Uri(record.Repository).LocalPath.TrimEnd('/'));

        var listed = Run("Get-Backup -Repository $repo -Cell crm -Latest | Test-BackupIntegrity -KeyFile $key").AssertNoErrors().Single<IntegrityResult>();
        Assert.Equal(record.Id, listed.Id);
        Assert.True(listed.Passed);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("none")]
    public void Other_compressions_round_trip(string compression)
    {
        InitRepoWithKey();
        var record = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key -Compression $c", ("c", compression)).AssertNoErrors().Single<BackupRecord>();
        Assert.StartsWith(compression, record.Compression);
        var restored = Temp.Sub("restored");
        Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", ("id", record.Id), ("dest", restored)).AssertNoErrors();
        TreeSnapshot.AssertSame(Cell, restored);
    }

    [Fact]
    public void Unencrypted_backup_works_when_repository_does_not_require_a_key()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null").AssertNoErrors();
        SampleTree.Create(Cell);
        var record = Run("Backup-Cell crm $cell -Repository $repo").AssertNoErrors().Single<BackupRecord>();
        Assert.Null(record.KeyId);
        Assert.True(Run("Test-BackupIntegrity -Id $id -Repository $repo", ("id", record.Id)).AssertNoErrors().Single<IntegrityResult>().Passed);
    }

    [Fact]
    public void Repository_requiring_encryption_refuses_a_backup_without_key()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo -RequireEncryption | Out-Null").AssertNoErrors();
        SampleTree.Create(Cell);
        Run("Backup-Cell crm $cell -Repository $repo").AssertError("RepositoryRequiresEncryption");
        Assert.Empty(Run("Get-Backup -Repository $repo").AssertNoErrors().Output);
    }

    [Fact]
    public void Repository_files_are_private()
    {
        InitRepoWithKey();
        Backup();
        foreach (var file in Directory.EnumerateFiles(Repo, "*", SearchOption.AllDirectories))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        foreach (var dir in Directory.EnumerateDirectories(Repo, "*", SearchOption.AllDirectories).Append(Repo))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyPath));
    }

    [Fact]
    public void Key_material_never_appears_in_manifests()
    {
        InitRepoWithKey();
        Backup();
        var keyText = File.ReadAllText(KeyPath);
        var material = System.Text.Json.JsonDocument.Parse(keyText).RootElement.GetProperty("key").GetString()!;
        foreach (var manifest in Directory.EnumerateFiles(Repo, "manifest.json", SearchOption.AllDirectories))
            Assert.DoesNotContain(material, File.ReadAllText(manifest));
    }
}

public sealed class CellLargeFileTests : CellTestBase
{
    [Fact]
    public void File_over_8_GiB_round_trips_without_reading_its_holes()
    {
        InitRepoWithKey(createCell: false);
        Directory.CreateDirectory(Cell);
        var big = Path.Combine(Cell, "huge.img");
        using (var f = new FileStream(big, FileMode.Create))
        {
            f.SetLength(9L * 1024 * 1024 * 1024 + 123);
            f.Position = 8L * 1024 * 1024 * 1024 + 7;
            f.Write("data beyond the 8 GiB ustar limit"u8);
        }
        var record = Backup();
        Assert.True(record.StoredBytes < 1024 * 1024, $"stored {record.StoredBytes} bytes for a sparse 9 GiB file");
        var dest = Temp.Sub("r");
        Run("Restore-Cell -Name crm -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", ("dest", dest)).AssertNoErrors();
        var restored = Path.Combine(dest, "huge.img");
        Assert.Equal(new FileInfo(big).Length, new FileInfo(restored).Length);
        using var r = File.OpenRead(restored);
        r.Position = 8L * 1024 * 1024 * 1024 + 7;
        var buffer = new byte[33];
        r.ReadExactly(buffer);
        Assert.Equal("data beyond the 8 GiB ustar limit", System.Text.Encoding.ASCII.GetString(buffer));
        Assert.True(DiskUsage.AllocatedBytes(restored) < 1024 * 1024);
    }

    [Fact]
    public void A_compression_level_without_a_compression_is_a_clear_error_and_nothing_is_written()
    {
        InitRepoWithKey();
        var error = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key -CompressionLevel 19").AssertError("CompressionLevelWithoutCompression");
        Assert.Contains("-Compression", error.ErrorDetails?.RecommendedAction ?? (error.Exception as BackupTools.Core.Errors.BackupToolsException)?.RecommendedAction);
        Assert.False(Directory.Exists(Path.Combine(Repo, "backups")) && Directory.EnumerateFileSystemEntries(Path.Combine(Repo, "backups")).Any());
    }
}
