using System.Management.Automation;
using System.Net;
using Amazon.S3.Model;
using BackupTools.Core.Replication;
using BackupTools.Tests.Chunked;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Postgres;
using BackupTools.Tests.Servers;
using BackupTools.Tests.Storage;

namespace BackupTools.Tests.Replication;

/// <summary>Cross-format copies against the real servers: a format-2 repository on the test S3 server, and a PostgreSQL dump.</summary>
public sealed class CrossFormatS3Tests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly S3TestBucket _bucket = new();

    private string Cell => _temp.Sub("cells/crm");

    private PsResult Run(string script, params (string, object?)[] extra)
    {
        var vars = new Dictionary<string, object?>
        {
            ["repo"] = _temp.Sub("v1"), ["s3"] = _bucket.Uri("team/v2"), ["cell"] = Cell, ["key"] = _temp.Sub("key.json"),
            ["cred"] = new PSCredential(TestServers.S3.AccessKey, new NetworkCredential("", TestServers.S3.SecretKey).SecurePassword),
        };
        foreach (var (name, value) in extra) vars[name] = value;
        return _ps.Run(script, vars);
    }

    /// <summary>Pack objects in the bucket and their sizes.</summary>
    private Dictionary<string, long> Packs()
    {
        var packs = new Dictionary<string, long>(StringComparer.Ordinal);
        var request = new ListObjectsV2Request { BucketName = _bucket.Name, Prefix = "team/v2/data/" };
        while (true)
        {
            var page = _bucket.Client.ListObjectsV2Async(request).GetAwaiter().GetResult();
            foreach (var o in page.S3Objects ?? []) packs[o.Key] = o.Size ?? 0;
            if (page.IsTruncated != true) return packs;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    [Fact]
    public void A_v1_backup_is_rechunked_into_v2_on_s3_a_changed_one_uploads_only_new_chunks_and_sync_brings_them_back_into_v1()
    {
        SampleTree.Create(Cell);
        ChunkedRepo.AddRandomFile(Path.Combine(Cell, "big.bin"), 16 << 20);
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null; Initialize-BackupRepository -Path $s3 -Format v2 -StorageCredential $cred | Out-Null; New-BackupKey -Path $key | Out-Null").AssertNoErrors();
        var full = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key").AssertNoErrors().Single<BackupRecord>();
        Run("Copy-Backup $id -Repository $repo -Target $s3 -TargetStorageCredential $cred -KeyFile $key", ("id", full.Id)).AssertNoErrors();
        var first = Packs();
        Assert.NotEmpty(first);
        Assert.DoesNotContain(_bucket.AllKeys(), k => k == $"team/v2/backups/{full.Id}/data");

        File.WriteAllText(Path.Combine(Cell, "small-change.txt"), "one more file\n");
        var second = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key").AssertNoErrors().Single<BackupRecord>();
        var copied = Run("Copy-Backup $id -Repository $repo -Target $s3 -TargetStorageCredential $cred -KeyFile $key", ("id", second.Id)).AssertNoErrors().Single<BackupRecord>();
        var uploaded = Packs().Where(p => !first.ContainsKey(p.Key)).Sum(p => p.Value);
        Assert.True(uploaded < first.Values.Sum() / 4, $"the changed backup uploaded {uploaded} bytes of packs, the first {first.Values.Sum()}");
        Assert.True(copied.StoredBytes <= uploaded && copied.StoredBytes > 0, $"{copied.StoredBytes} stored, {uploaded} uploaded");

        var restored = _temp.Sub("restored-s3");
        Run("Restore-Cell -Id $id -Repository $s3 -StorageCredential $cred -KeyFile $key -Destination $dest -Confirm:$false", ("id", second.Id), ("dest", restored)).AssertNoErrors();
        TreeSnapshot.AssertSame(Cell, restored);

        var back = _temp.Sub("back");
        Run("Initialize-BackupRepository -Format v1 -Path $b | Out-Null", ("b", back)).AssertNoErrors();
        var synced = Run("Sync-BackupRepository -Source $s3 -Destination $b -StorageCredential $cred -KeyFile $key", ("b", back)).AssertNoErrors().Objects<SyncResult>().ToList();
        Assert.Equal([full.Id, second.Id], synced.Select(r => r.Id));
        Assert.All(synced, r => Assert.Equal(SyncAction.Copied, r.Action));
        Assert.Contains("\"layout\": \"single-object\"", File.ReadAllText(Path.Combine(back, "backups", second.Id, "manifest.json")));
        var fromBack = _temp.Sub("restored-back");
        Run("Restore-Cell -Id $id -Repository $b -KeyFile $key -Destination $dest -Confirm:$false", ("id", second.Id), ("b", back), ("dest", fromBack)).AssertNoErrors();
        TreeSnapshot.AssertSame(Cell, fromBack);
    }

    public void Dispose()
    {
        _ps.Dispose();
        _bucket.Dispose();
        _temp.Dispose();
    }
}

public sealed class CrossFormatPostgresTests : PostgresTestBase
{
    [Fact]
    public void A_dump_copies_into_v2_and_back_out_to_v1_restoring_identically_and_a_grown_dump_adds_little()
    {
        InitRepoWithKey(createCell: false); // format 1
        var v2 = Temp.Sub("v2");
        var back = Temp.Sub("back");
        Run("Initialize-BackupRepository -Path $a -Format v2 | Out-Null; Initialize-BackupRepository -Format v1 -Path $b | Out-Null", ("a", v2), ("b", back)).AssertNoErrors();
        Db.Execute("create table filler as select g as id, md5(g::text) as v from generate_series(1, 60000) g");
        var first = BackupDb();
        Run("Copy-Backup $id -Repository $repo -Target $a -KeyFile $key", ("id", first.Id), ("a", v2)).AssertNoErrors();
        ChunkedRepo.AssertChunked(v2, first.Id);
        var afterFirst = ChunkedRepo.PackBytes(v2);

        Db.Execute("insert into filler select g, md5(g::text) from generate_series(60001, 60600) g"); // +1 % of rows
        var second = BackupDb();
        var copied = Run("Copy-Backup $id -Repository $repo -Target $a -KeyFile $key", ("id", second.Id), ("a", v2)).AssertNoErrors().Single<BackupRecord>();
        Assert.True(ChunkedRepo.PackBytes(v2) - afterFirst < afterFirst / 2, $"the grown dump added {ChunkedRepo.PackBytes(v2) - afterFirst} of {afterFirst}");
        Assert.Equal(second.RawSha256, copied.RawSha256);

        Run("Copy-Backup $id -Repository $a -Target $b -KeyFile $key", ("id", second.Id), ("a", v2), ("b", back)).AssertNoErrors();
        foreach (var (repository, suffix) in new[] { (v2, "_fromv2"), (back, "_backv1") })
        {
            var copy = Db.Name + suffix;
            try
            {
                Pg($"Restore-Postgres -Id $id -TargetDatabase $copy {Conn} -Repository $r -KeyFile $key -Confirm:$false", ("id", second.Id), ("copy", copy), ("r", repository)).AssertNoErrors();
                Assert.Equal(PgTestDatabase.Fingerprint(Db.Name), PgTestDatabase.Fingerprint(copy));
                const string filler = "select count(*) || ' ' || md5(string_agg(v, '' order by id)) from filler";
                Assert.Equal(PgTestDatabase.Scalar(Db.Name, filler), PgTestDatabase.Scalar(copy, filler));
            }
            finally
            {
                PgTestDatabase.Drop(copy);
            }
            var check = Run("Test-BackupIntegrity -Id $id -Repository $r -KeyFile $key", ("id", second.Id), ("r", repository)).AssertNoErrors().Single<IntegrityResult>();
            Assert.True(check.Passed, string.Join("; ", check.Checks));
        }
    }
}
