using System.Management.Automation;
using System.Net;
using System.Text;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Storage;

/// <summary>The cmdlets end to end with -Repository s3://… on the test S3 server.</summary>
public sealed class S3RepositoryTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly S3TestBucket _bucket = new();

    private string Cell => _temp.Sub("cells/crm");

    private static PSCredential Credential(string secret) =>
        new(TestServers.S3.AccessKey, new NetworkCredential("", secret).SecurePassword);

    private PsResult Run(string script, string repo, PSCredential? credential = null, params (string, object?)[] extra)
    {
        var vars = new Dictionary<string, object?>
        {
            ["repo"] = repo, ["cell"] = Cell, ["key"] = _temp.Sub("key.json"), ["temp"] = _temp.Path,
            ["cred"] = credential ?? Credential(TestServers.S3.SecretKey),
        };
        foreach (var (name, value) in extra) vars[name] = value;
        return _ps.Run(script, vars);
    }

    [Fact]
    public void Initialize_backup_list_verify_restore_through_s3()
    {
        var repo = _bucket.Uri("team/prod");
        SampleTree.Create(Cell);
        Run("Initialize-BackupRepository -Format v1 -Path $repo -StorageCredential $cred | Out-Null; New-BackupKey -Path $key | Out-Null", repo).AssertNoErrors();
        var full = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -StorageCredential $cred -KeyFile $key", repo).AssertNoErrors().Single<BackupRecord>();
        File.WriteAllText(Path.Combine(Cell, "added-later.txt"), "incremental content");
        var incremental = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -StorageCredential $cred -KeyFile $key -Type Incremental", repo).AssertNoErrors().Single<BackupRecord>();
        Assert.StartsWith("s3://" + _bucket.Name + "/team/prod", full.Repository);

        // Get-Backup pipes Repository by property name: the record's URI must open the same S3 location.
        var checks = Run("Get-Backup -Repository $repo -StorageCredential $cred -Cell crm | Test-BackupIntegrity -KeyFile $key -StorageCredential $cred", repo)
            .AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal([full.Id, incremental.Id], checks.Select(c => c.Id));
        Assert.All(checks, c => Assert.True(c.Passed, string.Join("; ", c.Checks)));

        var restored = _temp.Sub("restored");
        Run("Restore-Cell -Name crm -Repository $repo -StorageCredential $cred -KeyFile $key -Destination $dest -Confirm:$false", repo, null, ("dest", restored)).AssertNoErrors();
        TreeSnapshot.AssertSame(Cell, restored);

        var keys = _bucket.AllKeys();
        Assert.Contains($"team/prod/backups/{full.Id}/manifest.json", keys);
        Assert.Contains($"team/prod/backups/{incremental.Id}/manifest.json", keys);
        Assert.Contains("team/prod/repository.json", keys);
        Assert.DoesNotContain(keys, k => k.Contains("/locks/") || k.Contains(".claims/"));
    }

    [Fact]
    public async Task Initialize_creates_a_missing_bucket_and_refuses_a_prefix_holding_other_objects()
    {
        var fresh = "bt-new-" + Guid.NewGuid().ToString("N")[..16];
        var repo = $"s3://{fresh}/r?endpoint={Uri.EscapeDataString(_bucket.Endpoint)}";
        try
        {
            Run("Initialize-BackupRepository -Format v1 -Path $repo -StorageCredential $cred", repo).AssertNoErrors();
            Assert.NotNull(await _bucket.Client.GetObjectMetadataAsync(fresh, "r/repository.json"));
        }
        finally
        {
            // Initialize writes repository.json and the catalog's first (empty) segment.
            var written = await _bucket.Client.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = fresh });
            foreach (var entry in written.S3Objects ?? []) await _bucket.Client.DeleteObjectAsync(fresh, entry.Key);
            await _bucket.Client.DeleteBucketAsync(fresh);
        }

        await _bucket.Client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = _bucket.Name, Key = "busy/photo.jpg", ContentBody = "x" });
        var busy = _bucket.Uri("busy");
        var error = Run("Initialize-BackupRepository -Format v1 -Path $repo -StorageCredential $cred", busy).AssertError("RepositoryFolderNotEmpty");
        Assert.Contains("busy", error.Exception.Message);
    }

    [Fact]
    public async Task The_secret_key_never_appears_in_errors_records_or_stored_objects()
    {
        var secret = "bt-Secret-" + Guid.NewGuid().ToString("N");
        var credential = Credential(secret);
        var repo = _bucket.Uri("secret-check");
        SampleTree.Create(Cell);
        // fauxqs accepts any key pair: the run succeeds signed with our secret.
        Run("Initialize-BackupRepository -Format v1 -Path $repo -StorageCredential $cred | Out-Null", repo, credential).AssertNoErrors();
        var record = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -StorageCredential $cred", repo, credential).AssertNoErrors().Single<BackupRecord>();
        Assert.DoesNotContain(secret, record.Repository);
        foreach (var key in _bucket.AllKeys())
        {
            using var body = (await _bucket.Client.GetObjectAsync(_bucket.Name, key)).ResponseStream;
            using var copy = new MemoryStream();
            body.CopyTo(copy);
            Assert.DoesNotContain(secret, Encoding.UTF8.GetString(copy.ToArray()));
        }

        // Nothing listens on the endpoint: the error names it and shows no secret, also not in inner exceptions.
        using var down = new PrivateS3Server();
        down.Kill();
        var unreachable = $"s3://bt-none/x?endpoint={Uri.EscapeDataString(down.Endpoint)}";
        var result = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -StorageCredential $cred", unreachable, credential);
        var error = result.AssertError("StoreUnavailable");
        Assert.Contains(down.Endpoint, error.Exception.Message);
        var everything = error.ToString() + error.Exception + error.ErrorDetails?.Message + error.ErrorDetails?.RecommendedAction + error.TargetObject;
        Assert.DoesNotContain(secret, everything);
    }

    [Fact]
    public void Backup_cell_writes_to_several_targets_and_a_failing_one_does_not_stop_the_others()
    {
        var nas = _temp.Sub("nas-repo");
        var s3 = _bucket.Uri("offsite");
        SampleTree.Create(Cell);
        Run("Initialize-BackupRepository -Format v1 -Path $nas | Out-Null; Initialize-BackupRepository -Format v1 -Path $repo -StorageCredential $cred | Out-Null", s3, null, ("nas", nas)).AssertNoErrors();

        var records = Run("Backup-Cell -Name crm -Path $cell -Repository $nas,$repo -StorageCredential $cred", s3, null, ("nas", nas)).AssertNoErrors().Objects<BackupRecord>().ToList();
        Assert.Equal(2, records.Count);
        Assert.StartsWith("file://", records[0].Repository);
        Assert.StartsWith("s3://", records[1].Repository);
        var checks = Run("Get-Backup -Repository $nas | Test-BackupIntegrity; Get-Backup -Repository $repo -StorageCredential $cred | Test-BackupIntegrity -StorageCredential $cred", s3, null, ("nas", nas))
            .AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(2, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed, string.Join("; ", c.Checks)));

        // First target unreachable: an error for it, and the NAS still gets its backup.
        using var down = new PrivateS3Server();
        down.Kill();
        var dead = $"s3://bt-none/x?endpoint={Uri.EscapeDataString(down.Endpoint)}";
        var mixed = Run("Backup-Cell -Name crm -Path $cell -Repository $dead,$nas -StorageCredential $cred", s3, null, ("nas", nas), ("dead", dead));
        mixed.AssertError("StoreUnavailable");
        Assert.StartsWith("file://", Assert.Single(mixed.Objects<BackupRecord>()).Repository);
    }

    [Fact]
    public void Copy_backup_and_sync_move_backups_from_disk_to_s3_and_they_verify_there()
    {
        var local = _temp.Sub("local-repo");
        var s3 = _bucket.Uri("copies");
        SampleTree.Create(Cell);
        Run("Initialize-BackupRepository -Format v1 -Path $local | Out-Null; Initialize-BackupRepository -Format v1 -Path $repo -StorageCredential $cred | Out-Null", s3, null, ("local", local)).AssertNoErrors();
        var first = Run("Backup-Cell -Name crm -Path $cell -Repository $local", s3, null, ("local", local)).AssertNoErrors().Single<BackupRecord>();
        Run("Copy-Backup -Id $id -Repository $local -Target $repo -StorageCredential $cred", s3, null, ("local", local), ("id", first.Id)).AssertNoErrors();
        File.WriteAllText(Path.Combine(Cell, "later.txt"), "more");
        Run("Backup-Cell -Name crm -Path $cell -Repository $local -Type Incremental", s3, null, ("local", local)).AssertNoErrors();
        Run("Sync-BackupRepository -Source $local -Destination $repo -StorageCredential $cred", s3, null, ("local", local)).AssertNoErrors();

        var checks = Run("Get-Backup -Repository $repo -StorageCredential $cred | Test-BackupIntegrity -StorageCredential $cred", s3).AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(2, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed, string.Join("; ", c.Checks)));
        var restored = _temp.Sub("restored");
        Run("Restore-Cell -Name crm -Repository $repo -StorageCredential $cred -Destination $dest -Confirm:$false", s3, null, ("dest", restored)).AssertNoErrors();
        TreeSnapshot.AssertSame(Cell, restored);
    }

    public void Dispose()
    {
        _ps.Dispose();
        _bucket.Dispose();
        _temp.Dispose();
    }
}
