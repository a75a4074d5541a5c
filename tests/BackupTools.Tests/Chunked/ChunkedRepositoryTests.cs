using System.Text.Json.Nodes;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Core.Verification;
using BackupTools.Core.Operations;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Chunked;

/// <summary>Format-2 (chunked) repositories through the core API: dedup, layout, privacy, damage detection, discard.</summary>
public sealed class ChunkedRepositoryTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly BackupKeyRing _keys = new();
    private string Root => _temp.Sub("repo");

    public ChunkedRepositoryTests() => _keys.Add(BackupKey.Generate());

    public void Dispose() => _temp.Dispose();

    private BackupRepository Open() => BackupRepository.Open(new LocalBackupStore(Root));

    private BackupRepository Init() => BackupRepository.Initialize(new LocalBackupStore(Root), new RepositoryDefaults { RequireEncryption = true }, formatVersion: 2);

    private static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        // half random, half repetitive text: compressible and chunkable
        for (var i = 0; i < length / 2; i++) data[i] = (byte)('a' + (i * 7 + i / 13) % 26);
        return data;
    }

    private BackupManifest Write(BackupRepository repository, byte[] data, BackupKeyRing? keys = null, string engine = "postgres")
    {
        var plan = new BackupPlan("crm", "src", engine, BackupKind.Full, null, CompressionSettings.Default, null);
        using var writer = repository.BeginBackup(plan, keys ?? _keys);
        using (var stream = writer.OpenObject(BackupManifest.DataRole))
        {
            for (var at = 0; at < data.Length; at += 100_000) stream.Write(data, at, Math.Min(100_000, data.Length - at));
            stream.Complete();
        }
        return writer.Complete(new JsonObject());
    }

    private byte[] Read(BackupRepository repository, string id, BackupKeyRing? keys = null)
    {
        using var stream = repository.OpenObject(repository.GetManifest(id), BackupManifest.DataRole, keys ?? _keys);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        stream.VerifyToEnd();
        return copy.ToArray();
    }

    private List<string> Packs() => Directory.EnumerateFiles(Path.Combine(Root, "data"), "*", SearchOption.AllDirectories).ToList();

    [Fact]
    public void Initialize_without_a_format_makes_v2_and_accepts_an_existing_repository_of_either_format()
    {
        using (var made = BackupRepository.Initialize(new LocalBackupStore(Root), new RepositoryDefaults(), formatVersion: null))
        {
            Assert.Equal(2, made.Config.FormatVersion);
            Assert.True(made.Config.Defaults.RequireEncryption); // v2 always encrypts: stored so, and shown so
        }
        Assert.Equal(2, Open().Config.FormatVersion);
        Assert.NotNull(Open().Config.Chunking);
        using (BackupRepository.Initialize(new LocalBackupStore(Root), new RepositoryDefaults(), null)) { }
        var error = Assert.Throws<BackupToolsException>(() => BackupRepository.Initialize(new LocalBackupStore(Root), new RepositoryDefaults { RequireEncryption = true }, 1));
        Assert.Equal("RepositoryExistsWithOtherSettings", error.ErrorId);

        var v1Root = _temp.Sub("v1");
        using (var v1 = BackupRepository.Initialize(new LocalBackupStore(v1Root), new RepositoryDefaults(), formatVersion: 1))
            Assert.False(v1.Config.IsChunked);
        using var again = BackupRepository.Initialize(new LocalBackupStore(v1Root), new RepositoryDefaults(), formatVersion: null);
        Assert.Equal(1, again.Config.FormatVersion);
        Assert.False(again.Config.Defaults.RequireEncryption);
        Assert.Equal("RepositoryExistsWithOtherSettings",
            Assert.Throws<BackupToolsException>(() => BackupRepository.Initialize(new LocalBackupStore(v1Root), new RepositoryDefaults(), 2)).ErrorId);
    }

    [Fact]
    public void A_repository_json_without_formatVersion_is_v1_whatever_new_repositories_get()
    {
        var v1Root = _temp.Sub("old");
        using (BackupRepository.Initialize(new LocalBackupStore(v1Root), new RepositoryDefaults(), formatVersion: 1)) { }
        var config = Path.Combine(v1Root, BackupRepository.ConfigKey);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        Assert.True(json.Remove("formatVersion"));
        File.WriteAllText(config, json.ToJsonString());
        using var old = BackupRepository.Open(new LocalBackupStore(v1Root));
        Assert.Equal(1, old.Config.FormatVersion);
        Assert.False(old.Config.IsChunked);
    }

    [Fact]
    public void A_repeat_backup_of_the_same_data_stores_no_new_chunk_and_both_restore()
    {
        using var repository = Init();
        var data = Data(6 * 1024 * 1024, 1);
        var first = Write(repository, data);
        var packs = Packs();
        var second = Write(Open(), data);

        Assert.Equal("chunked", first.Layout);
        Assert.Equal(2, first.FormatVersion);
        Assert.True(first.Data.StoredBytes > 0);
        Assert.Equal(0, second.Data.StoredBytes);
        Assert.Equal(first.Data.Chunks, second.Data.Chunks);
        Assert.Equal(packs, Packs());
        Assert.Single(Directory.GetFiles(Path.Combine(Root, "index")));
        Assert.Equal(data, Read(Open(), first.Id));
        Assert.Equal(data, Read(Open(), second.Id));
        Assert.False(File.Exists(Path.Combine(Root, "backups", first.Id, "data")));
    }

    [Fact]
    public void An_insert_near_the_start_stores_only_the_chunks_around_it()
    {
        using var repository = Init();
        var data = Data(24 * 1024 * 1024, 2);
        var first = Write(repository, data);
        var edited = new byte[data.Length + 300];
        data.AsSpan(0, 4000).CopyTo(edited);
        data.AsSpan(4000).CopyTo(edited.AsSpan(4300));
        var second = Write(Open(), edited);
        Assert.True(second.Data.StoredBytes < first.Data.StoredBytes / 5, $"{second.Data.StoredBytes} of {first.Data.StoredBytes}");
        Assert.Equal(edited, Read(Open(), second.Id));
    }

    [Fact]
    public void A_repeat_backup_with_one_percent_changed_in_place_stores_only_the_chunks_it_touched()
    {
        using var repository = Init();
        var data = Data(32 * 1024 * 1024, 4);
        var first = Write(repository, data);
        var changed = (byte[])data.Clone();
        new Random(5).NextBytes(changed.AsSpan(20 * 1024 * 1024, data.Length / 100)); // 1 %, one stretch, like an updated id range
        var second = Write(Open(), changed);

        var newIds = second.Data.Chunks!.Except(first.Data.Chunks!).ToList();
        Assert.InRange(newIds.Count, 1, 4); // the chunks the stretch covers, and the one its end cuts differently
        Assert.True(second.Data.StoredBytes < first.Data.StoredBytes / 10, $"{second.Data.StoredBytes} of {first.Data.StoredBytes}");
        Assert.Equal(changed, Read(Open(), second.Id));
        Assert.Equal(data, Read(Open(), first.Id));
    }

    [Fact]
    public void Files_are_private_the_secret_is_wrapped_and_ids_differ_between_repositories()
    {
        using var repository = Init();
        var data = Data(3 * 1024 * 1024, 3);
        var first = Write(repository, data);
        foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var config = File.ReadAllText(Path.Combine(Root, "repository.json"));
        Assert.Contains(_keys.Current.Id, config);
        Assert.Contains("\"secrets\"", config);

        var other = BackupRepository.Initialize(new LocalBackupStore(_temp.Sub("other")), new RepositoryDefaults(), 2);
        var elsewhere = Write(other, data);
        Assert.Empty(first.Data.Chunks!.Intersect(elsewhere.Data.Chunks!));
    }

    [Fact]
    public void A_key_the_secret_is_not_wrapped_under_is_refused_by_name_and_a_backup_needs_a_key()
    {
        using var repository = Init();
        var first = Write(repository, Data(1024 * 1024, 4));
        var stranger = new BackupKeyRing();
        stranger.Add(BackupKey.Generate());
        var error = Assert.ThrowsAny<BackupToolsException>(() => Read(Open(), first.Id, stranger));
        Assert.Contains(_keys.Current.Id, error.Message);
        Assert.Equal("ChunkedRepositoryRequiresKey", Assert.ThrowsAny<BackupToolsException>(() => Write(Open(), [1, 2, 3], new BackupKeyRing())).ErrorId);

        // A ring holding the old key and a newer one: the newer key gets its own wrapping and reads everything.
        var both = new BackupKeyRing();
        both.Add(_keys.Current);
        both.Add(BackupKey.FromBase64(Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i + 9)).ToArray()), "test", DateTimeOffset.UtcNow.AddDays(1)));
        var second = Write(Open(), Data(1024 * 1024, 5), both);
        Assert.Equal(both.Current.Id, second.Encryption!.KeyId);
        var newOnly = new BackupKeyRing();
        newOnly.Add(both.Current);
        Assert.NotNull(Read(Open(), second.Id, both));
        Assert.Contains(both.Current.Id, File.ReadAllText(Path.Combine(Root, "repository.json")));
    }

    [Fact]
    public void A_backup_disposed_before_completing_leaves_no_pack_index_or_manifest()
    {
        using var repository = Init();
        var plan = new BackupPlan("crm", "src", "postgres", BackupKind.Full, null, CompressionSettings.Default, null);
        using (var writer = repository.BeginBackup(plan, _keys))
        using (var stream = writer.OpenObject(BackupManifest.DataRole))
        {
            var data = Data(40 * 1024 * 1024, 6); // more than two packs, so some were committed already
            stream.Write(data);
            stream.Complete();
        }
        Assert.False(Directory.Exists(Path.Combine(Root, "data")) && Directory.EnumerateFiles(Path.Combine(Root, "data"), "*", SearchOption.AllDirectories).Any());
        Assert.False(Directory.Exists(Path.Combine(Root, "index")) && Directory.EnumerateFiles(Path.Combine(Root, "index")).Any());
        Assert.Empty(repository.ListManifests());
    }

    [Fact]
    public void Integrity_check_names_a_pack_with_a_flipped_byte_and_a_lost_pack()
    {
        using var repository = Init();
        var first = Write(repository, Data(48 * 1024 * 1024, 7), engine: "command"); // the command engine's check reads the bytes whatever they are
        var verifier = new IntegrityVerifier(NullObserver.Instance);
        var healthy = verifier.Verify(Open(), first.Id, _keys, CancellationToken.None);
        Assert.True(healthy.Passed, string.Join("; ", healthy.Checks));
        Assert.Contains(healthy.Checks, c => c.Name == "data:packs" && c.Passed);

        var packs = Packs();
        Assert.True(packs.Count >= 2, $"{packs.Count} packs");
        var flipped = packs[0];
        var bytes = File.ReadAllBytes(flipped);
        bytes[bytes.Length / 3] ^= 0x40;
        File.WriteAllBytes(flipped, bytes);
        var damaged = verifier.Verify(Open(), first.Id, _keys, CancellationToken.None);
        Assert.False(damaged.Passed);
        var failed = damaged.Checks.First(c => !c.Passed);
        Assert.Contains(Path.GetFileName(flipped), failed.Detail);

        File.Delete(packs[1]);
        var lost = verifier.Verify(Open(), first.Id, _keys, CancellationToken.None);
        var missing = lost.Checks.First(c => !c.Passed);
        Assert.Equal("data:packs", missing.Name);
        Assert.Contains("PackMissing", missing.Detail);
        Assert.Contains(Path.GetFileName(packs[1]), missing.Detail);

        var readError = Assert.ThrowsAny<BackupIntegrityException>(() => Read(Open(), first.Id));
        Assert.Contains("pack", readError.Message);
    }

    /// <summary>A folder store whose second pack cannot be created (a full disk): the chunk worker's failure must surface.</summary>
    private sealed class SecondPackFails(LocalBackupStore inner) : IBackupStore
    {
        private int _packs;
        public string Location => inner.Location;
        public PendingObject OpenWrite(string key, CancellationToken cancel = default) =>
            key.StartsWith("data/", StringComparison.Ordinal) && ++_packs == 2 ? throw new IOException("No space left on device (test)") : inner.OpenWrite(key, cancel);
        public Stream OpenRead(string key, CancellationToken cancel = default) => inner.OpenRead(key, cancel);
        public bool Exists(string key, CancellationToken cancel = default) => inner.Exists(key, cancel);
        public long? SizeOf(string key, CancellationToken cancel = default) => inner.SizeOf(key, cancel);
        public IEnumerable<string> List(string prefix, CancellationToken cancel = default) => inner.List(prefix, cancel);
        public void Delete(string key, CancellationToken cancel = default) => inner.Delete(key, cancel);
        public bool TryCreateExclusive(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => inner.TryCreateExclusive(key, content, cancel);
        public void Replace(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => inner.Replace(key, content, cancel);
        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public void A_store_failure_in_the_chunk_worker_fails_the_backup_with_that_error_and_leaves_nothing()
    {
        Init().Dispose();
        using var repository = BackupRepository.Open(new SecondPackFails(new LocalBackupStore(Root)));
        var data = new byte[48 * 1024 * 1024];
        new Random(8).NextBytes(data); // incompressible: three packs
        var error = Assert.Throws<IOException>(() => Write(repository, data));
        Assert.Contains("No space left", error.Message);
        Assert.Empty(Directory.Exists(Path.Combine(Root, "data")) ? Directory.EnumerateFiles(Path.Combine(Root, "data"), "*", SearchOption.AllDirectories) : []);
        Assert.Empty(Directory.Exists(Path.Combine(Root, "index")) ? Directory.EnumerateFiles(Path.Combine(Root, "index")) : []);
        Assert.Empty(repository.ListManifests());
    }

    /// <summary>A folder store whose first manifest write runs <paramref name="meanwhile"/> (another writer) and then fails.</summary>
    private sealed class ManifestFailsAfter(LocalBackupStore inner, Action meanwhile) : IBackupStore
    {
        private bool _failed;
        public string Location => inner.Location;
        public PendingObject OpenWrite(string key, CancellationToken cancel = default) => inner.OpenWrite(key, cancel);
        public Stream OpenRead(string key, CancellationToken cancel = default) => inner.OpenRead(key, cancel);
        public bool Exists(string key, CancellationToken cancel = default) => inner.Exists(key, cancel);
        public long? SizeOf(string key, CancellationToken cancel = default) => inner.SizeOf(key, cancel);
        public IEnumerable<string> List(string prefix, CancellationToken cancel = default) => inner.List(prefix, cancel);
        public void Delete(string key, CancellationToken cancel = default) => inner.Delete(key, cancel);
        public bool TryCreateExclusive(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => inner.TryCreateExclusive(key, content, cancel);
        public void Dispose() => inner.Dispose();

        public void Replace(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default)
        {
            if (!_failed && key.EndsWith("manifest.json", StringComparison.Ordinal))
            {
                _failed = true;
                meanwhile();
                throw new IOException("manifest write failed (test)");
            }
            inner.Replace(key, content, cancel);
        }
    }

    [Fact]
    public void A_backup_failing_after_its_index_file_keeps_its_packs_for_a_concurrent_writer_that_reused_them()
    {
        Init().Dispose();
        var data = Data(20 * 1024 * 1024, 11);
        BackupManifest? concurrent = null;
        // The second writer starts while the first one's index file exists and its manifest is being written, so it
        // deduplicates every chunk against the first one's packs.
        using (var failing = BackupRepository.Open(new ManifestFailsAfter(new LocalBackupStore(Root), () => concurrent = Write(Open(), data))))
            Assert.Throws<IOException>(() => Write(failing, data));

        Assert.NotNull(concurrent);
        Assert.Equal(0, concurrent!.Objects[BackupManifest.DataRole].StoredBytes);
        using var repository = Open();
        Assert.Equal(data, Read(repository, concurrent.Id));
    }
}
