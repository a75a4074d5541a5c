using BackupTools.Core.Repository.Chunked;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Chunked;

/// <summary>Retention and Remove-Backup on a format-2 repository, then prune, through the cmdlets.</summary>
public sealed class ChunkedRetentionTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();

    private string Repo => _temp.Sub("repo");
    private string Cell => _temp.Sub("cell");

    private PsResult Run(string script, params (string, object?)[] extra)
    {
        var vars = new Dictionary<string, object?> { ["repo"] = Repo, ["key"] = _temp.Sub("key.json"), ["cell"] = Cell };
        foreach (var (name, value) in extra) vars[name] = value;
        return _ps.Run(script, vars);
    }

    private BackupRecord Backup(string type) => Run($"Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key -Type {type}").AssertNoErrors().Single<BackupRecord>();

    public void Dispose()
    {
        _ps.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Retention_deletes_v2_backups_but_never_a_kept_chains_base_and_prune_then_frees_what_only_they_used()
    {
        Run("Initialize-BackupRepository -Path $repo -Format v2 | Out-Null; New-BackupKey -Path $key | Out-Null").AssertNoErrors();
        Directory.CreateDirectory(Cell);
        File.WriteAllBytes(Path.Combine(Cell, "shared.bin"), PruneFixture.Random(4 << 20, 41));
        File.WriteAllBytes(Path.Combine(Cell, "old-only.bin"), PruneFixture.Random(20 << 20, 42));
        var first = Backup("Full");
        File.Delete(Path.Combine(Cell, "old-only.bin"));
        var full = Backup("Full");
        File.WriteAllBytes(Path.Combine(Cell, "new.bin"), PruneFixture.Random(2 << 20, 43));
        var incremental = Backup("Incremental");
        Assert.Equal(full.Id, incremental.ParentId);

        var decisions = Run("Invoke-BackupRetention -Repository $repo -KeepLast 1 -Confirm:$false").AssertNoErrors().Objects<RetentionDecision>().ToList();
        Assert.True(decisions.Single(d => d.Id == first.Id).Deleted);
        Assert.False(decisions.Single(d => d.Id == full.Id).Deleted); // the kept incremental builds on it
        Assert.False(decisions.Single(d => d.Id == incremental.Id).Deleted);
        Assert.Equal(new[] { full.Id, incremental.Id }.Order(StringComparer.Ordinal), Run("Get-Backup -Repository $repo").AssertNoErrors().Objects<BackupRecord>().Select(b => b.Id).Order(StringComparer.Ordinal));

        Run("Remove-Backup -Id $id -Repository $repo -Confirm:$false", ("id", full.Id)).AssertError("BackupHasDependents");
        var pruned = Run("Optimize-BackupRepository -Repository $repo -KeyFile $key -Confirm:$false").AssertNoErrors().Single<PruneResult>();
        Assert.True(pruned.BytesFreed > 16 << 20, $"{pruned.BytesFreed} bytes freed: old-only.bin's chunks were not");
        Assert.True(ChunkedRepo.PackBytes(Repo) < 12 << 20, $"{ChunkedRepo.PackBytes(Repo)} bytes of packs left");

        var check = Run("Test-BackupIntegrity -Repository $repo -KeyFile $key -ReadDataSubset 100%").AssertNoErrors().Single<RepositoryCheckResult>();
        Assert.True(check.Passed, string.Join("; ", check.Checks));
        Assert.Equal(check.Packs, check.PacksRead);
        var audit = Run("Get-BackupAudit -Repository $repo -Operation prune,check").AssertNoErrors().Objects<AuditEntry>().ToList();
        Assert.Contains(audit, a => a.Operation == "prune" && a.Result == "Succeeded" && a.Message!.Contains("bytes freed"));
        Assert.Contains(audit, a => a.Operation == "check" && a.Result == "Succeeded");
        Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", ("id", incremental.Id), ("dest", _temp.Sub("restored"))).AssertNoErrors();
        TreeSnapshot.AssertSame(Cell, _temp.Sub("restored"));
    }

    [Fact]
    public void The_repository_check_is_refused_on_format_1_and_with_an_id_or_a_bad_subset()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null").AssertNoErrors();
        Run("Test-BackupIntegrity -Repository $repo").AssertError("RepositoryNotChunked");
        Run("Test-BackupIntegrity -Repository $repo -ReadDataSubset 1/0").AssertError("ReadDataSubsetInvalid");
        Run("Test-BackupIntegrity -Id 20261124T020000Z-crm-directory-3fa9c1 -Repository $repo -ReadData").AssertError("ReadDataNeedsRepositoryCheck");
        Run("Optimize-BackupRepository -Repository $repo").AssertError("RepositoryNotChunked");
    }
}
