using System.Management.Automation;
using System.Net;
using BackupTools.Core.Repository;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Storage;

/// <summary>
/// The S3 server dies in the middle of a backup's multipart upload (its own fauxqs, killed with SIGKILL).
/// Uploads pass a loopback proxy limited to 32 MB/s so the upload is reliably still running when it dies.
/// </summary>
[Collection("lease-duration")] // shortens the writer lease so the dead run's lock expires within the test
public sealed class S3OutageTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly PrivateS3Server _server = new();

    [Fact]
    public async Task Server_killed_mid_upload_gives_a_clear_error_no_manifest_and_a_later_run_succeeds()
    {
        var bucket = "bt-outage-" + Guid.NewGuid().ToString("N")[..12];
        using (var admin = S3TestBucket.NewClient(_server.Endpoint)) await admin.PutBucketAsync(bucket);
        using var slow = new FlakyTcpProxy(_server.Port, bytesPerSecond: 32 << 20);
        var repo = $"s3://{bucket}/repo?endpoint={Uri.EscapeDataString(slow.Endpoint)}";
        var cell = _temp.Sub("cell");
        Directory.CreateDirectory(cell);
        var big = new byte[96 << 20];
        new Random(5).NextBytes(big);
        File.WriteAllBytes(Path.Combine(cell, "big.bin"), big);
        var vars = new Dictionary<string, object?>
        {
            ["repo"] = repo, ["cell"] = cell,
            ["cred"] = new PSCredential("test", new NetworkCredential("", "test").SecurePassword),
        };
        _ps.Run("Initialize-BackupRepository -Format v1 -Path $repo -StorageCredential $cred -Compression none | Out-Null", vars).AssertNoErrors();

        var saved = WriterLock.LeaseDuration;
        WriterLock.LeaseDuration = TimeSpan.FromSeconds(5);
        try
        {
            var run = Task.Run(() => _ps.Run("Backup-Cell -Name files -Path $cell -Repository $repo -StorageCredential $cred", vars));
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (_server.PendingPartFiles() == 0 && !run.IsCompleted && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.False(run.IsCompleted, "the backup finished before any part arrived: nothing was interrupted");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            _server.Kill();
            Assert.False(_server.Listening(), "killed server still listening");

            var failed = await run;
            // Retries with backoff take seconds, not minutes: an outage ends a backup promptly.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"the failed backup took {clock.Elapsed} to give up");
            var error = failed.AssertError("StoreUnavailable");
            Assert.Contains(slow.Endpoint, error.Exception.Message);
            Assert.Contains(bucket, error.Exception.Message);
            Assert.Empty(failed.Objects<BackupRecord>());

            _server.Start(); // same storage folder: whatever the dead run stored is still there
            using (var admin = S3TestBucket.NewClient(_server.Endpoint))
            {
                var keys = (await admin.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = bucket })).S3Objects ?? [];
                Assert.DoesNotContain(keys, o => o.Key.EndsWith("/manifest.json"));
                Assert.DoesNotContain(keys, o => o.Key.EndsWith("big.bin") || o.Size > 8 << 20);
            }

            // The dead run's lease expires; the next run takes over, sweeps, and completes.
            var later = _ps.Run("Backup-Cell -Name files -Path $cell -Repository $repo -StorageCredential $cred -LockTimeoutSec 60", vars).AssertNoErrors().Single<BackupRecord>();
            var listed = _ps.Run("Get-Backup -Repository $repo -StorageCredential $cred | Test-BackupIntegrity -StorageCredential $cred", vars).AssertNoErrors().Single<IntegrityResult>();
            Assert.Equal(later.Id, listed.Id);
            Assert.True(listed.Passed, string.Join("; ", listed.Checks));
        }
        finally
        {
            WriterLock.LeaseDuration = saved;
        }
    }

    public void Dispose()
    {
        _ps.Dispose();
        _server.Dispose();
        _temp.Dispose();
    }
}
