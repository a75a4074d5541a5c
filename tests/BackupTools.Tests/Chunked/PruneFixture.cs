using System.Text.Json.Nodes;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;
using BackupTools.Core.Repository.Chunked;
using BackupTools.Core.Storage;

namespace BackupTools.Tests.Chunked;

/// <summary>
/// A local format-2 repository with 4 MiB packs (so a few MiB of data spread over several packs) and the history
/// prune tests start from: A (24 MiB, random), B = A's prefix up to the first chunk of one of A's middle packs (stores
/// nothing new), C (6 MiB, unrelated); then A is deleted. That pack is then mostly unused, A's later packs wholly.
/// </summary>
internal sealed class PruneFixture
{
    public const int PackSize = 4 << 20;
    public string Root { get; }
    public BackupKeyRing Keys { get; }
    public byte[] DataA { get; } = Random(24 << 20, 1);
    public byte[] DataB { get; private set; } = [];
    public byte[] DataC { get; } = Random(6 << 20, 3);
    public BackupManifest A { get; private set; } = null!;
    public BackupManifest B { get; private set; } = null!;
    public BackupManifest C { get; private set; } = null!;
    public int PacksOfA { get; private set; }
    /// <summary>A's packs after the one B ends in: wholly unused once A is deleted.</summary>
    public int PacksAfterSplit { get; private set; }

    public PruneFixture(string root, BackupKeyRing keys)
    {
        Root = root;
        Keys = keys;
    }

    public static byte[] Random(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static BackupRepository InitSmallPacks(IBackupStore store)
    {
        BackupRepository.Initialize(store, new RepositoryDefaults { RequireEncryption = true }, formatVersion: 2).Dispose();
        var config = JsonNode.Parse(ReadAll(store, BackupRepository.ConfigKey))!;
        config["chunking"]!["packSize"] = PackSize;
        store.Replace(BackupRepository.ConfigKey, System.Text.Encoding.UTF8.GetBytes(config.ToJsonString()));
        return BackupRepository.Open(store);
    }

    public BackupRepository Open() => BackupRepository.Open(new LocalBackupStore(Root));

    /// <summary>Writes A, B, C into the (new) repository and deletes A.</summary>
    public PruneFixture Build(Func<BackupRepository>? open = null)
    {
        open ??= () => InitSmallPacks(new LocalBackupStore(Root));
        using (var repository = open())
        {
            A = Write(repository, DataA);
            var snapshot = IndexSnapshot.Load(repository.Store, Keys);
            var packOf = snapshot.Packs.Values.SelectMany(p => p.Chunks.Select(c => (c.Id, Pack: p))).ToDictionary(c => c.Id, c => c.Pack);
            var chunks = A.Data.Chunks!;
            var packs = chunks.Select(c => packOf[c]).DistinctBy(p => p.Pack.Id).ToList();
            // The split pack: one whose first chunk is under half its blob bytes, so keeping only that chunk leaves it mostly unused.
            var split = packs.SkipLast(1).Skip(1).First(p => p.Chunks.MinBy(c => c.Offset)!.Length * 2 < p.Chunks.Sum(c => (long)c.Length));
            PacksOfA = packs.Count;
            PacksAfterSplit = packs.Count - packs.IndexOf(split) - 1;
            var prefix = 0;
            foreach (var chunk in chunks)
            {
                prefix += packOf[chunk].Chunks.First(c => c.Id == chunk).RawLength;
                if (packOf[chunk] == split) break;
            }
            DataB = DataA[..prefix];
            B = Write(repository, DataB);
            C = Write(repository, DataC);
            var removed = new BackupDeleter(repository, NullObserver.Instance).Remove([A.Id], force: false, TimeSpan.FromSeconds(10), (_, _) => true, CancellationToken.None);
            Assert.True(removed.Single().Removed, removed.Single().Error?.Message);
        }
        return this;
    }

    public BackupManifest Write(BackupRepository repository, byte[] data)
    {
        var plan = new BackupPlan("crm", "src", "command", BackupKind.Full, null, CompressionSettings.Default, null);
        using var writer = repository.BeginBackup(plan, Keys);
        using (var stream = writer.OpenObject(BackupManifest.DataRole))
        {
            for (var at = 0; at < data.Length; at += 1 << 20) stream.Write(data, at, Math.Min(1 << 20, data.Length - at));
            stream.Complete();
        }
        return writer.Complete(new JsonObject());
    }

    public static byte[] Read(BackupRepository repository, string id, BackupKeyRing keys)
    {
        using var stream = repository.OpenObject(repository.GetManifest(id), BackupManifest.DataRole, keys);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        stream.VerifyToEnd();
        return copy.ToArray();
    }

    /// <summary>B and C restore byte-identical.</summary>
    public void AssertKeptBackupsRestore()
    {
        using var repository = Open();
        Assert.Equal(DataB, Read(repository, B.Id, Keys));
        Assert.Equal(DataC, Read(repository, C.Id, Keys));
    }

    private static byte[] ReadAll(IBackupStore store, string key)
    {
        using var stream = store.OpenRead(key);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}

/// <summary>
/// What a repository's packs and index hold, for comparing two prunes' results: which chunks each pack holds (pack
/// ids are random and blob bytes may differ between zstd builds, so not names or sizes), what the index lists.
/// </summary>
internal sealed record PackLayout(IReadOnlyList<string> PackContents, IReadOnlyList<string> IndexedChunks, int Unindexed)
{
    public static PackLayout Of(BackupRepository repository, BackupKeyRing keys)
    {
        var snapshot = IndexSnapshot.Load(repository.Store, keys);
        Assert.Empty(snapshot.Unreadable);
        return new PackLayout(
            snapshot.Packs.Values.Select(p => string.Join(",", p.Chunks.Select(c => c.Id).Order(StringComparer.Ordinal))).Order(StringComparer.Ordinal).ToList(),
            snapshot.Packs.Values.SelectMany(p => p.Chunks.Select(c => c.Id)).Order(StringComparer.Ordinal).ToList(),
            snapshot.Stored.Keys.Count(id => !snapshot.Packs.ContainsKey(id)));
    }

    public void AssertSameAs(PackLayout other)
    {
        Assert.Equal(other.PackContents.Count, PackContents.Count);
        Assert.Equal(other.PackContents, PackContents);
        Assert.Equal(other.IndexedChunks, IndexedChunks);
        Assert.Equal(0, Unindexed);
        Assert.Equal(other.Unindexed, Unindexed);
    }
}
