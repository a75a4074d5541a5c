using System.Management.Automation;
using System.Net;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;
using BackupTools.Tests.Storage;

namespace BackupTools.Tests.Chunked;

/// <summary>A format-2 repository on the test S3 server: packs and index files as objects, chunks read by ranged GETs.</summary>
public sealed class ChunkedS3Tests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly S3TestBucket _bucket = new();

    private PsResult Run(string script, string repo, params (string, object?)[] extra)
    {
        var vars = new Dictionary<string, object?>
        {
            ["repo"] = repo, ["cell"] = _temp.Sub("cells/crm"), ["key"] = _temp.Sub("key.json"), ["temp"] = _temp.Path,
            ["cred"] = new PSCredential(TestServers.S3.AccessKey, new NetworkCredential("", TestServers.S3.SecretKey).SecurePassword),
        };
        foreach (var (name, value) in extra) vars[name] = value;
        return _ps.Run(script, vars);
    }

    [Fact]
    public async Task Cell_backups_round_trip_through_a_v2_repository_on_s3_and_a_lost_pack_is_named()
    {
        var repo = _bucket.Uri("team/v2");
        SampleTree.Create(_temp.Sub("cells/crm"));
        ChunkedRepo.AddRandomFile(_temp.Sub("cells/crm/big.bin"), 16 << 20);
        Run("Initialize-BackupRepository -Path $repo -Format v2 -StorageCredential $cred | Out-Null; New-BackupKey -Path $key | Out-Null", repo).AssertNoErrors();
        var full = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -StorageCredential $cred -KeyFile $key", repo).AssertNoErrors().Single<BackupRecord>();
        var packsOfFull = _bucket.AllKeys().Where(k => k.StartsWith("team/v2/data/", StringComparison.Ordinal)).ToList(); // all referenced by the full
        var repeat = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -StorageCredential $cred -KeyFile $key", repo).AssertNoErrors().Single<BackupRecord>();
        Assert.True(repeat.StoredBytes < full.StoredBytes / 4, $"{repeat.StoredBytes} vs {full.StoredBytes}");

        var restored = _temp.Sub("restored");
        Run("Restore-Cell -Id $id -Repository $repo -StorageCredential $cred -KeyFile $key -Destination $dest -Confirm:$false", repo, ("id", repeat.Id), ("dest", restored)).AssertNoErrors();
        TreeSnapshot.AssertSame(_temp.Sub("cells/crm"), restored);

        var keys = _bucket.AllKeys();
        Assert.Contains(keys, k => k.StartsWith("team/v2/data/", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.StartsWith("team/v2/index/", StringComparison.Ordinal));
        Assert.DoesNotContain(keys, k => k == $"team/v2/backups/{full.Id}/data");

        var pack = packsOfFull[0];
        await _bucket.Client.DeleteObjectAsync(_bucket.Name, pack);
        var check = Run("Test-BackupIntegrity -Id $id -Repository $repo -StorageCredential $cred -KeyFile $key", repo, ("id", full.Id)).Single<IntegrityResult>();
        Assert.False(check.Passed);
        Assert.Contains(check.Checks, c => !c.Passed && c.Name == "data:packs" && c.Detail.Contains(pack[(pack.LastIndexOf('/') + 1)..]));
    }

    public void Dispose()
    {
        _ps.Dispose();
        _bucket.Dispose();
        _temp.Dispose();
    }
}
