using System.Diagnostics;
using System.Text.Json.Nodes;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Chunked;

/// <summary>
/// tools/bt-v2-reader.py, written from docs/repository-format.md alone, reads a format-2 repository this code wrote:
/// chunk secret, index files, packs (footer, wrapped key, encrypted header, blob framing), chunk ids, cut points, raw
/// hashes — with gzip and zstd packs, a single-object backup kept in the repository, and its pure-Python AES-GCM.
/// If the document and the code disagree, this fails.
/// </summary>
public sealed class IndependentReaderTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly BackupKeyRing _keys = new();
    private string Root => _temp.Sub("repo");
    private string KeyFile => _temp.Sub("key.json");

    public IndependentReaderTests()
    {
        var key = BackupKey.Generate();
        BackupKeyFile.Write(KeyFile, key);
        _keys.Add(BackupKeyFile.Read(KeyFile));
    }

    public void Dispose() => _temp.Dispose();

    private static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        for (var i = 0; i < length / 2; i++) data[i] = (byte)('a' + (i * 7 + i / 13) % 26); // compressible half
        return data;
    }

    private static BackupManifest Write(BackupRepository repository, BackupKeyRing keys, CompressionSettings compression, params (string Role, byte[] Bytes)[] objects)
    {
        using var writer = repository.BeginBackup(new BackupPlan("crm", "src", "command", BackupKind.Full, null, compression), keys);
        foreach (var (role, bytes) in objects)
        {
            using var stream = writer.OpenObject(role);
            for (var at = 0; at < bytes.Length; at += 100_000) stream.Write(bytes, at, Math.Min(100_000, bytes.Length - at));
            stream.Complete();
        }
        return writer.Complete(new JsonObject());
    }

    private static (int Exit, string Out, string Error) Reader(bool pureAes, params string[] arguments)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tools", "bt-v2-reader.py"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (pureAes) start.Environment["BT_READER_PURE_AES"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "the reader did not finish");
        return (process.ExitCode, output.Result, error.Result);
    }

    [Fact]
    public void The_python_reader_verifies_every_pack_chunk_cut_and_hash_extracts_objects_and_names_a_damaged_pack()
    {
        using var repository = BackupRepository.Initialize(new LocalBackupStore(Root), new RepositoryDefaults { RequireEncryption = true }, formatVersion: 2);
        var data = Data(3 * 1024 * 1024, 1);
        var small = Data(150_000, 2);
        var first = Write(repository, _keys, new CompressionSettings(CompressionAlgorithm.Gzip), ("data", data), ("index", small));
        var edited = data[..1_500_000].Concat(Data(5000, 3)).Concat(data[1_500_000..]).ToArray();
        var second = Write(repository, _keys, CompressionSettings.Default, ("data", edited));
        Assert.True(second.Data.StoredBytes < first.Data.StoredBytes, "the edit deduplicates against the first backup");

        // A format-1 backup kept as is in the v2 repository (what copies of older versions left).
        var v1Root = _temp.Sub("v1");
        using (var v1 = BackupRepository.Initialize(new LocalBackupStore(v1Root), new RepositoryDefaults(), formatVersion: 1))
        {
            var legacy = Write(v1, _keys, CompressionSettings.Default, ("data", small));
            Directory.CreateDirectory(Path.Combine(Root, "backups", legacy.Id));
            foreach (var file in Directory.GetFiles(Path.Combine(v1Root, "backups", legacy.Id)))
                File.Copy(file, Path.Combine(Root, "backups", legacy.Id, Path.GetFileName(file)));
        }

        var (exit, output, error) = Reader(false, "verify", "--repository", Root, "--key-file", KeyFile, "--check-cuts");
        Assert.True(exit == 0, $"{error}\n{output}");
        var report = JsonNode.Parse(output)!;
        Assert.Equal(repository.Config.Id, report["repository"]!.GetValue<string>());
        Assert.Equal(Directory.GetFiles(Path.Combine(Root, "data"), "*", SearchOption.AllDirectories).Length, report["packs"]!.GetValue<int>());
        Assert.Equal(Directory.GetFiles(Path.Combine(Root, "index")).Length, report["indexFiles"]!.GetValue<int>());
        var backups = report["backups"]!.AsArray();
        Assert.Equal(3, backups.Count);
        Assert.Equal(["chunked", "chunked", "single-object"], backups.Select(b => b!["layout"]!.GetValue<string>()).Order());
        var firstReport = backups.Single(b => b!["id"]!.GetValue<string>() == first.Id)!;
        Assert.Equal(data.Length, firstReport["objects"]!["data"]!["rawBytes"]!.GetValue<long>());
        Assert.Equal(first.Data.Chunks!.Count, firstReport["objects"]!["data"]!["chunks"]!.GetValue<int>());
        Assert.True(first.Data.Chunks!.Count >= 3, $"{first.Data.Chunks.Count} chunks: too few to test cut points");

        var extracted = _temp.Sub("extracted.bin");
        (exit, _, error) = Reader(false, "extract", "--repository", Root, "--key-file", KeyFile, "--id", second.Id, "--out", extracted);
        Assert.True(exit == 0, error);
        Assert.Equal(edited, File.ReadAllBytes(extracted));
        (exit, _, error) = Reader(true, "extract", "--repository", Root, "--key-file", KeyFile, "--id", first.Id, "--role", "index", "--out", extracted);
        Assert.True(exit == 0, error);
        Assert.Equal(small, File.ReadAllBytes(extracted));

        var pack = Directory.GetFiles(Path.Combine(Root, "data"), "*", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal).First();
        var bytes = File.ReadAllBytes(pack);
        bytes[bytes.Length / 4] ^= 0x20;
        File.WriteAllBytes(pack, bytes);
        (exit, output, _) = Reader(false, "verify", "--repository", Root, "--key-file", KeyFile);
        Assert.Equal(1, exit);
        Assert.Contains(Path.GetFileName(pack), string.Join("\n", JsonNode.Parse(output)!["errors"]!.AsArray().Select(e => e!.GetValue<string>())));
    }
}
