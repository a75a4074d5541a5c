using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Chunked;

/// <summary>
/// Issue 19: a new repository is v2 unless -Format v1 is asked for; a set-up script written before that (no -Format)
/// keeps working on the repository it made earlier, whatever its format.
/// </summary>
public sealed class DefaultFormatTests : CellTestBase
{
    [Fact]
    public void A_new_repository_is_v2_and_a_backup_without_a_key_names_both_ways_out()
    {
        var made = Run("Initialize-BackupRepository -Path $repo").AssertNoErrors().Single<RepositoryInfo>();
        Assert.Equal(2, made.FormatVersion);
        Assert.True(made.RequireEncryption);
        SampleTree.Create(Cell);

        var error = Run("Backup-Cell -Name crm -Path $cell -Repository $repo").AssertError("ChunkedRepositoryRequiresKey");
        var action = error.ErrorDetails?.RecommendedAction ?? "";
        Assert.Contains("-KeyFile", action);
        Assert.Contains("-Format v1", action);

        Run("New-BackupKey -Path $key | Out-Null").AssertNoErrors();
        var record = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key").AssertNoErrors().Single<BackupRecord>();
        ChunkedRepo.AssertChunked(Repo, record.Id);
        Assert.Equal(2, Run("Initialize-BackupRepository -Path $repo").AssertNoErrors().Single<RepositoryInfo>().FormatVersion);
    }

    [Fact]
    public void An_existing_v1_repository_set_up_again_without_Format_is_returned_as_it_is_and_with_v2_refused()
    {
        var first = Run("Initialize-BackupRepository -Path $repo -Format v1").AssertNoErrors().Single<RepositoryInfo>();
        var configBefore = File.ReadAllText(Path.Combine(Repo, "repository.json"));

        var again = Run("Initialize-BackupRepository -Path $repo").AssertNoErrors().Single<RepositoryInfo>();
        Assert.Equal(1, again.FormatVersion);
        Assert.False(again.RequireEncryption);
        Assert.Equal(first.Id, again.Id);
        Assert.Equal(configBefore, File.ReadAllText(Path.Combine(Repo, "repository.json")));

        var refused = Run("Initialize-BackupRepository -Path $repo -Format v2").AssertError("RepositoryExistsWithOtherSettings");
        Assert.Contains("format v1, not v2", refused.Exception.Message);
        SampleTree.Create(Cell);
        Run("Backup-Cell -Name crm -Path $cell -Repository $repo | Out-Null").AssertNoErrors(); // still unencrypted v1
    }
}
