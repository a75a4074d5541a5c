using System.Text.Json.Nodes;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;
using BackupTools.Core.Repository.Chunked;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Chunked;

/// <summary>
/// repository.json's chunking section decides how writers cut and name chunks: new repositories record the current
/// defaults (512 KiB average, a small first chunk, HMAC-SHA256 ids); repositories of the first release (1 MiB, no
/// first-chunk rule, no chunkId field) keep cutting their way and restore as before; unknown schemes are refused.
/// </summary>
public sealed class ChunkingParametersTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly BackupKeyRing _keys = new();
    private string Root => _temp.Sub("repo");
    private string ConfigPath => Path.Combine(Root, "repository.json");

    public ChunkingParametersTests() => _keys.Add(BackupKey.Generate());

    public void Dispose() => _temp.Dispose();

    private BackupRepository Open() => BackupRepository.Open(new LocalBackupStore(Root));

    private BackupRepository Init() => BackupRepository.Initialize(new LocalBackupStore(Root), new RepositoryDefaults { RequireEncryption = true }, formatVersion: 2);

    private static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private BackupManifest Write(BackupRepository repository, byte[] data)
    {
        var plan = new BackupPlan("crm", "src", "command", BackupKind.Full, null, CompressionSettings.Default, null);
        using var writer = repository.BeginBackup(plan, _keys);
        using (var stream = writer.OpenObject(BackupManifest.DataRole))
        {
            for (var at = 0; at < data.Length; at += 300_001) stream.Write(data, at, Math.Min(300_001, data.Length - at));
            stream.Complete();
        }
        return writer.Complete(new JsonObject());
    }

    private byte[] Read(string id)
    {
        using var repository = Open();
        using var stream = repository.OpenObject(repository.GetManifest(id), BackupManifest.DataRole, _keys);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        stream.VerifyToEnd();
        return copy.ToArray();
    }

    /// <summary>The chunk ids the repository's secret and the given limits give for data (the oracle for what a writer must have stored).</summary>
    private List<string> ExpectedIds(byte[] data, ChunkerParameters parameters)
    {
        var secret = ChunkSecrets.ForReading(new LocalBackupStore(Root), _keys);
        var ids = new List<string>();
        using var hasher = new ChunkHasher(secret);
        var consumer = new IdCollector(hasher, ids);
        using (var stream = new ChunkingStream(new ContentDefinedChunker(secret, parameters), consumer)) stream.Write(data);
        return ids;
    }

    private sealed class IdCollector(ChunkHasher hasher, List<string> ids) : IChunkConsumer
    {
        public void Accept(ReadOnlySpan<byte> chunk) => ids.Add(hasher.IdOf(chunk).ToString());
    }

    private void EditChunking(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();
        edit(json["chunking"]!.AsObject());
        File.WriteAllText(ConfigPath, json.ToJsonString());
    }

    [Fact]
    public void A_new_repository_records_the_current_limits_the_first_chunk_rule_and_the_id_scheme_and_writers_follow_them()
    {
        Init().Dispose();
        var chunking = JsonNode.Parse(File.ReadAllText(ConfigPath))!["chunking"]!;
        Assert.Equal(512 * 1024, (int)chunking["averageSize"]!);
        Assert.Equal(64 * 1024, (int)chunking["firstChunk"]!["averageSize"]!);
        Assert.Equal("hmac-sha256", (string)chunking["chunkId"]!);

        var data = Data(9 * 1024 * 1024, 1);
        var manifest = Write(Open(), data);
        Assert.Equal(ExpectedIds(data, ChunkerParameters.ForNewRepository()), manifest.Objects[BackupManifest.DataRole].Chunks);
        Assert.Equal(data, Read(manifest.Id));
    }

    [Fact]
    public void A_repository_of_the_first_release_keeps_its_1_MiB_cuts_and_its_backups_restore()
    {
        Init().Dispose();
        EditChunking(c =>
        {
            c["minSize"] = 512 * 1024; c["averageSize"] = 1024 * 1024; c["maxSize"] = 8 * 1024 * 1024;
            c.Remove("firstChunk");
            c.Remove("chunkId");
        });
        var data = Data(9 * 1024 * 1024, 2);
        var old = Write(Open(), data);
        var chunks = old.Objects[BackupManifest.DataRole].Chunks!;
        Assert.Equal(ExpectedIds(data, ChunkerParameters.FirstRelease), chunks);
        Assert.NotEqual(ExpectedIds(data, ChunkerParameters.ForNewRepository()), chunks);
        Assert.Equal(data, Read(old.Id));

        // A second backup still deduplicates against the first (same cuts), and the file still has no new fields.
        var again = Write(Open(), data);
        Assert.Equal(0, again.Objects[BackupManifest.DataRole].StoredBytes);
        Assert.Null(JsonNode.Parse(File.ReadAllText(ConfigPath))!["chunking"]!["firstChunk"]);
    }

    [Fact]
    public void An_unknown_id_scheme_is_refused_by_readers_and_an_unknown_cut_algorithm_by_writers_only()
    {
        Init().Dispose();
        var data = Data(2 * 1024 * 1024, 3);
        var manifest = Write(Open(), data);

        EditChunking(c => c["algorithm"] = "fastcdc-gear-v9");
        Assert.Equal(data, Read(manifest.Id)); // reading needs no chunker
        var write = Assert.Throws<BackupIntegrityException>(() => Write(Open(), data));
        Assert.Equal("ChunkingAlgorithmUnsupported", write.ErrorId);
        Assert.Contains("fastcdc-gear-v9", write.Message);

        EditChunking(c => { c["algorithm"] = ChunkingConfig.GearAlgorithm; c["chunkId"] = "blake3-keyed"; });
        var read = Assert.Throws<BackupIntegrityException>(() => Open());
        Assert.Equal("ChunkIdSchemeUnsupported", read.ErrorId);
        Assert.Contains("blake3-keyed", read.Message);
    }
}
