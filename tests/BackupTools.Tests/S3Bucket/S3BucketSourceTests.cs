using System.Management.Automation;
using System.Security.Cryptography;
using Amazon.S3.Model;
using BackupTools.Core.Engines.S3Bucket;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;
using BackupTools.Tests.Storage;

namespace BackupTools.Tests.S3Bucket;

/// <summary>Backup-S3Bucket / Restore-S3Bucket against the test S3 server (fauxqs) as the source.</summary>
[Collection("servers")]
public sealed class S3BucketSourceTests : CellTestBase
{
    private readonly S3TestBucket _bucket = new();

    private static PSCredential S3Credential => new(TestServers.S3.AccessKey, new System.Net.NetworkCredential("", TestServers.S3.SecretKey).SecurePassword);

    private string SourceUri(string prefix = "photos") => _bucket.Uri(prefix);

    private void Put(string key, byte[] content, string contentType = "application/octet-stream", Dictionary<string, string>? metadata = null, string? cacheControl = null, string? disposition = null)
    {
        var request = new PutObjectRequest { BucketName = _bucket.Name, Key = key, InputStream = new MemoryStream(content), ContentType = contentType };
        foreach (var (k, v) in metadata ?? []) request.Metadata.Add(k, v);
        if (cacheControl != null) request.Headers.CacheControl = cacheControl;
        if (disposition != null) request.Headers.ContentDisposition = disposition;
        if (content.Length <= 8 << 20) { _bucket.Client.PutObjectAsync(request).GetAwaiter().GetResult(); return; }
        // fauxqs takes at most 11 MiB per request: a big object goes up in parts, as on any S3.
        using var transfer = new Amazon.S3.Transfer.TransferUtility(_bucket.Client, new Amazon.S3.Transfer.TransferUtilityConfig { MinSizeBeforePartUpload = 8 << 20 });
        transfer.Upload(new Amazon.S3.Transfer.TransferUtilityUploadRequest { BucketName = _bucket.Name, Key = key, InputStream = new MemoryStream(content), ContentType = contentType, PartSize = 8 << 20 });
    }

    /// <summary>Key (relative to the prefix) → SHA-256, content type, metadata and headers, read from the server.</summary>
    private Dictionary<string, string> State(string prefix)
    {
        var state = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in _bucket.AllKeys().Where(k => k.StartsWith(prefix + "/", StringComparison.Ordinal)))
        {
            using var response = _bucket.Client.GetObjectAsync(_bucket.Name, key).GetAwaiter().GetResult();
            var sha = Convert.ToHexString(SHA256.HashData(response.ResponseStream));
            var metadata = string.Join(",", response.Metadata.Keys.Order().Select(k => $"{k}={response.Metadata[k]}"));
            state[key[(prefix.Length + 1)..]] = $"{sha} {response.Headers.ContentType} [{metadata}] cc={response.Headers.CacheControl} cd={response.Headers.ContentDisposition}";
        }
        return state;
    }

    private PsResult BackupBucket(string extra = "") =>
        Run($"Backup-S3Bucket -Source $src -SourceCredential $s3 -Repository $repo -KeyFile $key {extra}", ("src", SourceUri()), ("s3", S3Credential));

    private S3BucketRestoreResult Restore(string id, string extra = "") =>
        Run($"Restore-S3Bucket -Id $id -Repository $repo -KeyFile $key -TargetCredential $s3 -Confirm:$false {extra}", ("id", id), ("s3", S3Credential))
            .AssertNoErrors().Single<S3BucketRestoreResult>();

    [Fact]
    public void Objects_with_metadata_headers_unicode_keys_and_a_100_MB_object_round_trip_into_a_new_prefix()
    {
        InitRepoWithKey(createCell: false);
        var big = new byte[100 << 20];
        new Random(7).NextBytes(big);
        Put("photos/big/raw.bin", big);
        Put("photos/a.json", "{\"a\":1}"u8.ToArray(), "application/json", new() { ["owner"] = "gis-team", ["source-id"] = "42" }, "max-age=3600", "attachment; filename=\"a.json\"");
        Put("photos/фото/日本語 ü ✓.txt", "unicode key"u8.ToArray(), "text/plain; charset=utf-8");
        Put("photos/empty", []);
        Put("other/not-in-prefix.txt", "x"u8.ToArray());
        var before = State("photos");
        Assert.Equal(4, before.Count);

        var record = BackupBucket().AssertNoErrors().Single<BackupRecord>();
        Assert.Equal("s3bucket", record.Engine);
        Assert.Equal($"s3-{_bucket.Name}-photos", record.Cell);
        Assert.Equal(4L, (long)record.EngineInfo["objects"]!);
        Assert.Equal(4L, (long)record.EngineInfo["changedObjects"]!);
        Assert.DoesNotContain(TestServers.S3.SecretKey, File.ReadAllText(Path.Combine(Repo, "backups", record.Id, "manifest.json")));
        var integrity = Run("Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $key").AssertNoErrors().Single<IntegrityResult>();
        Assert.True(integrity.Passed, string.Join("; ", integrity.Checks));

        var restored = Restore(record.Id);
        Assert.Equal($"bt-restore/{record.Id}/photos", Core.Storage.S3.S3Location.Parse(restored.Target).Prefix);
        Assert.Equal(4, restored.Objects);
        Assert.Equal(big.Length + 7 + 11, restored.Bytes);
        Assert.Contains("each SHA-256 read back and matched", restored.Verification);
        Assert.Equal(before, State($"bt-restore/{record.Id}/photos"));
        Assert.Equal(before, State("photos"));
    }

    [Fact]
    public void Second_backup_stores_only_changes_records_deletions_and_both_points_restore_exactly()
    {
        InitRepoWithKey(createCell: false);
        for (var i = 0; i < 20; i++) Put($"photos/img-{i:00}.jpg", RandomBytes(i, 50_000), "image/jpeg", new() { ["n"] = i.ToString() });
        var first = BackupBucket().AssertNoErrors().Single<BackupRecord>();
        var stateOne = State("photos");

        Put("photos/img-03.jpg", RandomBytes(100, 60_000), "image/jpeg", new() { ["n"] = "3-edited" });
        Delete("photos/img-07.jpg");
        Delete("photos/img-08.jpg");
        Put("photos/new/img-20.jpg", RandomBytes(20, 1000), "image/png");
        var second = BackupBucket().AssertNoErrors().Single<BackupRecord>();
        var stateTwo = State("photos");

        Assert.Equal("Incremental", second.Kind.ToString());
        Assert.Equal(first.Id, second.ParentId);
        Assert.Equal(19L, (long)second.EngineInfo["objects"]!);
        Assert.Equal(2L, (long)second.EngineInfo["changedObjects"]!);
        Assert.Equal(17L, (long)second.EngineInfo["unchangedObjects"]!);
        Assert.Equal(2L, (long)second.EngineInfo["deletedObjects"]!);
        Assert.True(second.RawBytes < first.RawBytes / 5, $"incremental stored {second.RawBytes} raw bytes, the full one {first.RawBytes}");
        var index = ReadIndex(second.Id);
        Assert.Equal(["img-07.jpg", "img-08.jpg"], index.Deleted);
        Assert.Equal(first.Id, index.Objects.Single(o => o.Key == "img-00.jpg").Holder);
        Assert.Equal(second.Id, index.Objects.Single(o => o.Key == "img-03.jpg").Holder);

        Assert.Equal(stateTwo, State($"bt-restore/{Restore(second.Id).RestoredId}/photos"));
        Assert.Equal(stateOne, State($"bt-restore/{Restore(first.Id).RestoredId}/photos"));
    }

    [Fact]
    public void In_place_restore_takes_a_safety_backup_and_makes_the_prefix_exactly_like_the_backup()
    {
        InitRepoWithKey(createCell: false);
        Put("photos/keep.txt", "v1"u8.ToArray(), "text/plain");
        Put("photos/gone-later.txt", "v1"u8.ToArray(), "text/plain");
        var record = BackupBucket().AssertNoErrors().Single<BackupRecord>();
        var original = State("photos");
        Put("photos/keep.txt", "v2 overwritten by mistake"u8.ToArray(), "text/plain");
        Delete("photos/gone-later.txt");
        Put("photos/stray.txt", "written after the backup"u8.ToArray());
        var damaged = State("photos");

        // A new prefix must be empty: restoring over objects could not be proven.
        Run("Restore-S3Bucket -Id $id -Repository $repo -KeyFile $key -TargetCredential $s3 -Target $t -Confirm:$false", ("id", record.Id), ("s3", S3Credential), ("t", SourceUri()))
            .AssertError("S3BucketRestoreTargetNotEmpty");
        Assert.Equal(damaged, State("photos"));

        var restored = Restore(record.Id, "-InPlace");
        Assert.Equal(1, restored.Removed);
        Assert.Equal(original, State("photos"));
        var safety = Run("Get-Backup -Repository $repo -Id $id", ("id", restored.SafetyBackupId)).AssertNoErrors().Single<BackupRecord>();
        Assert.Equal("safety-before-restore", safety.Tags["reason"]);
        // The safety backup holds the state just before the restore: restoring it brings that state back.
        Assert.Equal(damaged, State($"bt-restore/{Restore(safety.Id).RestoredId}/photos"));
    }

    private void Delete(string key) => _bucket.Client.DeleteObjectAsync(_bucket.Name, key).GetAwaiter().GetResult();

    private S3BucketIndex ReadIndex(string id)
    {
        var repository = Core.Repository.BackupRepository.Open(new Core.Storage.LocalBackupStore(Repo));
        var keys = Core.Keys.BackupKeyRing.Load(new Core.Keys.KeySources([KeyPath], [], false));
        using var stream = repository.OpenObject(repository.GetManifest(id), S3BucketIndex.ObjectRole, keys);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return S3BucketIndex.Parse(buffer.ToArray(), id);
    }

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public override void Dispose()
    {
        _bucket.Dispose();
        base.Dispose();
    }
}
