using System.Buffers.Binary;
using System.Text.Json;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;

namespace BackupTools.Tests.Keys;

/// <summary>What key-rotation tests look at: whether a backup reads whole with one key alone, and which key an index file is under.</summary>
internal static class RotationProbe
{
    /// <summary>Reads every object of the backup to its end with only this key (a fresh repository: no cached index).</summary>
    public static bool ReadsWith(string repo, BackupKey key, string id)
    {
        var ring = new BackupKeyRing();
        ring.Add(key);
        try
        {
            using var repository = BackupRepository.Open(new LocalBackupStore(repo));
            var manifest = repository.GetManifest(id);
            foreach (var role in manifest.Objects.Keys)
            {
                using var stream = repository.OpenObject(manifest, role, ring);
                stream.CopyTo(Stream.Null);
                stream.VerifyToEnd();
            }
            return true;
        }
        catch (BackupToolsException)
        {
            return false;
        }
    }

    public static void AssertEveryBackupReadsWith(string repo, BackupKey key, IEnumerable<string> ids) =>
        Assert.All(ids, id => Assert.True(ReadsWith(repo, key, id), $"{id} does not read with {key.Id} alone"));

    /// <summary>The crash-safety promise: each backup reads whole with the old key alone or with the new key alone.</summary>
    public static void AssertEveryBackupReadsWithEither(string repo, BackupKey old, BackupKey fresh, IEnumerable<string> ids) =>
        Assert.All(ids, id => Assert.True(ReadsWith(repo, old, id) || ReadsWith(repo, fresh, id), $"{id} reads with neither {old.Id} nor {fresh.Id} alone"));

    /// <summary>The key id in a format-2 index file's plaintext footer (null while it is being written or gone).</summary>
    public static string? IndexFileKeyId(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length < 12) return null;
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 12));
            using var footer = JsonDocument.Parse(bytes.AsMemory(bytes.Length - 12 - length, length));
            return footer.RootElement.GetProperty("keyId").GetString();
        }
        catch (Exception e) when (e is IOException or JsonException or ArgumentException)
        {
            return null;
        }
    }

    public static int IndexFilesUnder(string repo, string keyId) =>
        Directory.Exists(Path.Combine(repo, "index")) ? Directory.GetFiles(Path.Combine(repo, "index")).Count(f => IndexFileKeyId(f) == keyId) : 0;

    /// <summary>Every file under data/ and backups/ (packs and manifests): rotation must leave them byte-identical.</summary>
    public static Dictionary<string, byte[]> ImmutableObjects(string repo) =>
        new[] { "data", "backups" }.Select(d => Path.Combine(repo, d)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories)).ToDictionary(f => f, File.ReadAllBytes);
}
