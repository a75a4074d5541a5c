using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Module;

[Collection("environment")]
public sealed class KeyCmdletTests : CellTestBase
{
    [Fact]
    public void New_BackupKey_refuses_to_overwrite_without_Force()
    {
        var first = Run("New-BackupKey -Path $key").AssertNoErrors().Single<KeyInfo>();
        Run("New-BackupKey -Path $key").AssertError("KeyFileExists");
        var second = Run("New-BackupKey -Path $key -Force").AssertNoErrors().Single<KeyInfo>();
        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public void Key_from_environment_decrypts_what_a_key_file_encrypted()
    {
        InitRepoWithKey();
        var record = Backup();
        var material = System.Text.Json.JsonDocument.Parse(File.ReadAllText(KeyPath)).RootElement.GetProperty("key").GetString();
        Environment.SetEnvironmentVariable("BACKUPTOOLS_KEY", material);
        try
        {
            var result = Run("Test-BackupIntegrity -Id $id -Repository $repo", ("id", record.Id)).AssertNoErrors().Single<IntegrityResult>();
            Assert.True(result.Passed);
        }
        finally
        {
            Environment.SetEnvironmentVariable("BACKUPTOOLS_KEY", null);
        }
    }

    [Fact]
    public void SecureString_key_works_and_key_ring_decrypts_backups_of_a_rotated_key()
    {
        InitRepoWithKey();
        var old = Backup();
        var newKey = Temp.Sub("new.json");
        Run("New-BackupKey -Path $k | Out-Null", ("k", newKey)).AssertNoErrors();
        // Both keys given: the newest encrypts, the old one still decrypts by id.
        var fresh = Run("Backup-Cell crm $cell -Repository $repo -KeyFile $key, $k", ("k", newKey)).AssertNoErrors().Single<BackupRecord>();
        Assert.NotEqual(old.KeyId, fresh.KeyId);
        var results = Run("Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $key, $k", ("k", newKey)).AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.True(r.Passed));

        var material = System.Text.Json.JsonDocument.Parse(File.ReadAllText(KeyPath)).RootElement.GetProperty("key").GetString();
        var secure = new System.Net.NetworkCredential("", material).SecurePassword;
        Assert.True(Run("Test-BackupIntegrity -Id $id -Repository $repo -Key $s", ("id", old.Id), ("s", secure)).AssertNoErrors().Single<IntegrityResult>().Passed);
    }
}
