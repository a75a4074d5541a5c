using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Core.Storage.S3;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Storage;

/// <summary>The retry and dry-run wrappers around a real backend.</summary>
public sealed class StoreWrapperTests : IDisposable
{
    private readonly TempDir _temp = new();

    [Fact]
    public void Dry_run_reads_the_real_store_and_changes_nothing()
    {
        var real = new LocalBackupStore(_temp.Sub("repo"));
        real.Replace("repository.json", "{}"u8);
        var dry = new DryRunBackupStore(real);
        using (var pending = dry.OpenWrite("backups/x/data"))
        {
            pending.Write(new byte[1000]);
            pending.Commit();
        }
        dry.Replace("backups/x/manifest.json", new byte[10]);
        dry.Delete("repository.json");
        Assert.True(dry.TryCreateExclusive("locks/writer.json", "x"u8));
        Assert.False(dry.TryCreateExclusive("repository.json", "x"u8));

        var onDisk = Directory.EnumerateFiles(real.Root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(real.Root, f));
        Assert.Equal(["repository.json"], onDisk);
        Assert.True(dry.Exists("repository.json"));
        Assert.Equal(1010, dry.BytesDiscarded);
        Assert.Equal(2, dry.ObjectsDiscarded);
    }

    [Fact]
    public void Retrying_store_gives_up_after_its_attempts_with_the_endpoint_in_the_error()
    {
        using var down = new PrivateS3Server();
        down.Kill();
        var policy = new RetryPolicy(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200));
        var attempts = 0;
        var inner = new S3BackupStore(S3Location.Parse($"s3://bt-none/x?endpoint={Uri.EscapeDataString(down.Endpoint)}"), new StorageCredential("a", "b"));
        var store = new RetryingBackupStore(new CountingStore(inner, () => attempts++), policy);
        var error = Assert.Throws<StoreUnavailableException>(() => store.Exists("repository.json"));
        Assert.Equal(3, attempts);
        Assert.Equal("StoreUnavailable", error.ErrorId);
        Assert.Contains(down.Endpoint, error.Message);
    }

    [Fact]
    public void A_cancelled_call_stops_waiting_for_its_next_try()
    {
        using var down = new PrivateS3Server();
        down.Kill();
        var attempts = 0;
        var inner = new S3BackupStore(S3Location.Parse($"s3://bt-none/x?endpoint={Uri.EscapeDataString(down.Endpoint)}"), new StorageCredential("a", "b"));
        var store = new RetryingBackupStore(new CountingStore(inner, () => attempts++), new RetryPolicy(10, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)));
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Assert.ThrowsAny<OperationCanceledException>(() => store.Exists("repository.json", stop.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed} (10 tries would take ~15 s)");
        Assert.True(attempts <= 2, $"{attempts} attempts");
    }

    [Fact]
    public void A_cancelled_call_abandons_a_request_the_server_never_answers()
    {
        // Accepts connections and never answers: without the token the SDK would wait for its 5-minute timeout.
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var endpoint = $"http://127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}";
            using var store = new S3BackupStore(S3Location.Parse($"s3://bt-none/x?endpoint={Uri.EscapeDataString(endpoint)}"), new StorageCredential("a", "b"));
            using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var clock = System.Diagnostics.Stopwatch.StartNew();

            Assert.ThrowsAny<OperationCanceledException>(() => store.List("backups/", stop.Token).ToList());

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        }
        finally
        {
            silent.Stop();
        }
    }

    [Fact]
    public void Retrying_store_rides_out_a_short_outage()
    {
        using var bucket = new S3TestBucket();
        using var proxy = new FlakyTcpProxy(new Uri(bucket.Endpoint).Port);
        using var store = new RepositoryReference($"s3://{bucket.Name}/r?endpoint={Uri.EscapeDataString(proxy.Endpoint)}", new StorageCredential("test", "test")).OpenStore();
        store.Replace("repository.json", "{}"u8);
        proxy.CutFor(TimeSpan.FromMilliseconds(800));
        Assert.True(store.Exists("repository.json")); // default policy: 5 attempts over ~4 s
    }

    private sealed class CountingStore(IBackupStore inner, Action onCall) : IBackupStore
    {
        public string Location => inner.Location;
        public PendingObject OpenWrite(string key, CancellationToken cancel = default) { onCall(); return inner.OpenWrite(key, cancel); }
        public Stream OpenRead(string key, CancellationToken cancel = default) { onCall(); return inner.OpenRead(key, cancel); }
        public bool Exists(string key, CancellationToken cancel = default) { onCall(); return inner.Exists(key, cancel); }
        public long? SizeOf(string key, CancellationToken cancel = default) { onCall(); return inner.SizeOf(key, cancel); }
        public IEnumerable<string> List(string prefix, CancellationToken cancel = default) { onCall(); return inner.List(prefix, cancel); }
        public void Delete(string key, CancellationToken cancel = default) { onCall(); inner.Delete(key, cancel); }
        public bool TryCreateExclusive(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) { onCall(); return inner.TryCreateExclusive(key, content, cancel); }
        public void Replace(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) { onCall(); inner.Replace(key, content, cancel); }
        public void Dispose() => inner.Dispose();
    }

    public void Dispose() => _temp.Dispose();
}
