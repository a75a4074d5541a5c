using System.Security.Cryptography;
using System.Text.Json.Nodes;
using BackupTools.Core.Engines;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Repository;

/// <summary>
/// Format 1's write path with its two halves on separate threads (compress on the caller's, encrypt + stored hash +
/// store write on a pipeline thread): a large object round-trips with both hashes right, and a failure or a
/// cancellation on the pipeline side is the backup's error and leaves nothing — no manifest, no object, no temp part.
/// </summary>
public sealed class OverlappedObjectWriteTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly BackupKeyRing _keys = new();
    private string Root => _temp.Sub("repo");

    public OverlappedObjectWriteTests() => _keys.Add(BackupKey.Generate());

    public void Dispose() => _temp.Dispose();

    private static byte[] Data(int length)
    {
        var data = new byte[length];
        new Random(18).NextBytes(data);
        for (var i = 0; i < length / 2; i++) data[i] = (byte)('a' + (i * 7 + i / 13) % 26); // half compressible
        return data;
    }

    private BackupRepository Init(IBackupStore store) => BackupRepository.Initialize(store, new RepositoryDefaults { RequireEncryption = true }, formatVersion: 1);

    private BackupRecord Write(BackupRepository repository, Action<Stream> source, CancellationToken cancel = default) =>
        new BackupTemplate(NullObserver.Instance).Write(repository, new StreamBackup("crm", "test", "postgres", null, _keys), source, () => new JsonObject(), cancel);

    private static void Feed(Stream target, byte[] data, int writeSize = 1 << 20)
    {
        for (var at = 0; at < data.Length; at += writeSize) target.Write(data, at, Math.Min(writeSize, data.Length - at));
    }

    private void AssertNothingLeft()
    {
        var left = Directory.GetFiles(Root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f))
            .Where(f => f.StartsWith("backups", StringComparison.Ordinal) || f.StartsWith("tmp", StringComparison.Ordinal))
            .ToList();
        Assert.True(left.Count == 0, "left behind: " + string.Join(", ", left));
        using var repository = BackupRepository.Open(new LocalBackupStore(Root));
        Assert.Empty(repository.ListManifests());
    }

    [Fact]
    public void A_large_object_round_trips_byte_identically_with_both_hashes_right_and_its_store_writes_off_the_callers_thread()
    {
        var data = Data(48 << 20);
        var store = new ObservedStore(new LocalBackupStore(Root));
        using var repository = Init(store);
        var record = Write(repository, target => Feed(target, data, 1_000_003));

        var manifest = repository.GetManifest(record.Id);
        var info = manifest.Objects[BackupManifest.DataRole];
        var stored = File.ReadAllBytes(Path.Combine(Root, info.Key));
        Assert.Equal(data.Length, info.RawBytes);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant(), info.RawSha256);
        Assert.Equal(stored.Length, info.StoredBytes);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(stored)).ToLowerInvariant(), info.Sha256);
        Assert.True(stored.Length < data.Length * 0.6, "compressed");

        using (var read = repository.OpenObject(manifest, BackupManifest.DataRole, _keys))
        using (var back = new MemoryStream())
        {
            read.CopyTo(back);
            Assert.Equal(data, back.ToArray());
        }
        // Only the final encrypted segment (closed after the pipeline thread is joined) is written by the caller.
        var byCaller = store.BytesWrittenBy(Environment.CurrentManagedThreadId);
        Assert.InRange(byCaller, 1, 64 * 1024 + 16);
        Assert.Equal(stored.Length - byCaller, store.BytesWrittenByOthers(Environment.CurrentManagedThreadId));
    }

    [Fact]
    public void A_store_failure_on_the_pipeline_thread_is_the_backups_error_and_leaves_no_manifest_object_or_part()
    {
        var store = new ObservedStore(new LocalBackupStore(Root)) { FailDataAfter = 4 << 20 };
        using (var repository = Init(store))
        {
            var data = Data(64 << 20);
            var thrown = Assert.Throws<IOException>(() => Write(repository, target => Feed(target, data)));
            Assert.Equal(ObservedStore.Failure, thrown.Message);
            Assert.NotNull(store.FailedOnThread);
            Assert.NotEqual(Environment.CurrentManagedThreadId, store.FailedOnThread);
        }
        AssertNothingLeft();
    }

    [Fact]
    public void A_cancellation_seen_by_the_store_on_the_pipeline_thread_stops_the_source_and_leaves_nothing()
    {
        using var cancel = new CancellationTokenSource();
        var store = new ObservedStore(new LocalBackupStore(Root)) { CancelAfter = (8 << 20, cancel) };
        var fed = 0L;
        using (var repository = Init(store))
        {
            var data = Data(1 << 20);
            Assert.ThrowsAny<OperationCanceledException>(() => Write(repository, target =>
            {
                for (var i = 0; i < 1024; i++) { target.Write(data); fed += data.Length; } // 1 GiB unless stopped
            }, cancel.Token));
        }
        Assert.True(fed < 256L << 20, $"the source went on for {fed} bytes after the cancel");
        AssertNothingLeft();
    }

    /// <summary>
    /// A local store whose data objects record the threads that write them and can fail (as a full disk would) or see
    /// the operation cancelled (as S3 uploads do) after so many stored bytes.
    /// </summary>
    private sealed class ObservedStore(LocalBackupStore inner) : IBackupStore
    {
        public const string Failure = "No space left on device (test store)";
        public long FailDataAfter { get; init; } = long.MaxValue;
        public (long Bytes, CancellationTokenSource Source)? CancelAfter { get; init; }
        private readonly Dictionary<int, long> _bytesByThread = [];
        public int? FailedOnThread { get; private set; }

        public long BytesWrittenBy(int thread) { lock (_bytesByThread) return _bytesByThread.GetValueOrDefault(thread); }
        public long BytesWrittenByOthers(int thread) { lock (_bytesByThread) return _bytesByThread.Where(t => t.Key != thread).Sum(t => t.Value); }

        public PendingObject OpenWrite(string key, CancellationToken cancel = default) =>
            key.EndsWith("/" + BackupManifest.DataRole, StringComparison.Ordinal) ? new ObservedPending(inner.OpenWrite(key, cancel), this, cancel) : inner.OpenWrite(key, cancel);

        private sealed class ObservedPending(PendingObject pending, ObservedStore store, CancellationToken cancel) : PendingObject
        {
            private long _written;
            public override string Key => pending.Key;
            public override void Commit() => pending.Commit();

            public override void Write(byte[] buffer, int offset, int count)
            {
                if (_written + count > store.FailDataAfter)
                {
                    store.FailedOnThread ??= Environment.CurrentManagedThreadId;
                    throw new IOException(Failure);
                }
                if (store.CancelAfter is { } c && _written + count > c.Bytes) c.Source.Cancel();
                cancel.ThrowIfCancellationRequested();
                pending.Write(buffer, offset, count);
                _written += count;
                lock (store._bytesByThread) store._bytesByThread[Environment.CurrentManagedThreadId] = store._bytesByThread.GetValueOrDefault(Environment.CurrentManagedThreadId) + count;
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing) pending.Dispose();
                base.Dispose(disposing);
            }

            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => _written;
            public override long Position { get => _written; set => throw new NotSupportedException(); }
            public override void Flush() => pending.Flush();
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }

        public string Location => inner.Location;
        public Stream OpenRead(string key, CancellationToken cancel = default) => inner.OpenRead(key, cancel);
        public bool Exists(string key, CancellationToken cancel = default) => inner.Exists(key, cancel);
        public long? SizeOf(string key, CancellationToken cancel = default) => inner.SizeOf(key, cancel);
        public IEnumerable<string> List(string prefix, CancellationToken cancel = default) => inner.List(prefix, cancel);
        public void Delete(string key, CancellationToken cancel = default) => inner.Delete(key, cancel);
        public bool TryCreateExclusive(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => inner.TryCreateExclusive(key, content, cancel);
        public void Replace(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => inner.Replace(key, content, cancel);
        public T? Ability<T>() where T : class => inner as T ?? this as T;
        public void Dispose() => inner.Dispose();
    }
}
