using System.Formats.Tar;
using System.Text.Json.Nodes;
using BackupTools.Core.Keys;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Core.Replication;
using BackupTools.Tests.Chunked;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Replication;

/// <summary>
/// Copy-Backup and Sync-BackupRepository between format-1 and format-2 repositories in every direction, on real cell
/// backups: re-chunked into v2 (deduplicating against what the target holds), reassembled out of v2, each encrypted
/// with the target's key, restorable and verifiable there; a damaged source never gets a manifest at the target.
/// </summary>
public sealed class CrossFormatCopyTests : ReplicationTestBase
{
    private string OtherKey => Temp.Sub("other-key.json");

    private void NewOtherKey() => Run("New-BackupKey -Path $k | Out-Null", ("k", OtherKey)).AssertNoErrors();

    private static string ManifestText(string root, string id) => File.ReadAllText(Path.Combine(root, "backups", id, "manifest.json"));

    private static JsonNode Manifest(string root, string id) => JsonNode.Parse(ManifestText(root, id))!;

    private static string KeyIdOf(string keyFile) => JsonNode.Parse(File.ReadAllText(keyFile))!["id"]!.GetValue<string>();

    private static string[] Chunks(string root, string id) =>
        Manifest(root, id)["objects"]!["data"]!["chunks"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray();

    private static IEnumerable<string> FilesUnder(string root, string folder) =>
        Directory.Exists(Path.Combine(root, folder)) ? Directory.EnumerateFiles(Path.Combine(root, folder), "*", SearchOption.AllDirectories) : [];

    private void AssertAllPass(string root, string keyFile, int expected)
    {
        var checks = Run("Get-Backup -Repository $r | Test-BackupIntegrity -KeyFile $k", ("r", root), ("k", keyFile)).AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(expected, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed, string.Join("; ", c.Checks)));
    }

    private void AssertRestores(string root, string keyFile, BackupRecord record, string expectedTree)
    {
        var dest = Temp.Sub("restored-" + Guid.NewGuid().ToString("N")[..6]);
        Run("Restore-Cell -Id $id -Repository $r -KeyFile $k -Destination $dest -Confirm:$false", ("id", record.Id), ("r", root), ("k", keyFile), ("dest", dest)).AssertNoErrors();
        TreeSnapshot.AssertSame(expectedTree, dest);
    }

    [Fact]
    public void A_v1_chain_is_rechunked_into_v2_restores_there_and_a_changed_backup_stores_only_its_new_chunks()
    {
        InitRepoWithKey();
        InitTarget("-Format v2");
        ChunkedRepo.AddRandomFile(Path.Combine(Cell, "big.bin"), 16 << 20);
        var full = Backup();
        var inc = Change("Incremental");
        var snapshot = Snapshot();

        var refused = RunT("Copy-Backup $id -Repository $repo -Target $target", ("id", inc.Id)).AssertError("CopyKeyRequired");
        Assert.Contains("-KeyFile", refused.ErrorDetails?.RecommendedAction ?? refused.Exception.Message);
        Assert.Empty(IdsIn(Target));

        var copied = RunT("Copy-Backup $id -Repository $repo -Target $target -KeyFile $key", ("id", inc.Id)).AssertNoErrors().Single<BackupRecord>();
        Assert.Equal((inc.Id, inc.RawSha256, inc.RawBytes, TargetLocation), (copied.Id, copied.RawSha256, copied.RawBytes, copied.Repository));
        Assert.Equal(Ids(full, inc), IdsIn(Target));
        ChunkedRepo.AssertChunked(Target, full.Id);
        ChunkedRepo.AssertChunked(Target, inc.Id);
        Assert.Equal(full.ParentId, Manifest(Target, full.Id)["parentId"]?.GetValue<string>());
        Assert.Equal(full.Id, Manifest(Target, inc.Id)["parentId"]!.GetValue<string>());
        AssertAllPass(Target, KeyPath, 2);
        AssertRestores(Target, KeyPath, inc, snapshot);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Target, "tmp")));

        // A new full of slightly changed data: whole at the v1 source, only the chunks around the change at the target.
        var afterFirst = ChunkedRepo.PackBytes(Target);
        File.WriteAllText(Path.Combine(Cell, "small-change.txt"), "one more file\n");
        var second = Backup();
        var secondCopy = RunT("Copy-Backup $id -Repository $repo -Target $target -KeyFile $key", ("id", second.Id)).AssertNoErrors().Single<BackupRecord>();
        var added = ChunkedRepo.PackBytes(Target) - afterFirst;
        Assert.True(added < afterFirst / 4, $"the changed backup added {added} bytes of packs, the first copy {afterFirst}");
        Assert.True(secondCopy.StoredBytes < second.StoredBytes / 4, $"{secondCopy.StoredBytes} stored at the target vs {second.StoredBytes} at the source");
        AssertRestores(Target, KeyPath, second, Snapshot());
    }

    [Fact]
    public void A_v2_chain_is_reassembled_into_v1_and_rechunked_into_another_v2_each_encrypted_with_the_targets_key()
    {
        InitRepoWithKey(format: "v2");
        NewOtherKey();
        InitTarget(); // format 1
        var otherV2 = Temp.Sub("other-v2");
        Run("Initialize-BackupRepository -Path $t -Format v2 | Out-Null", ("t", otherV2)).AssertNoErrors();
        var full = Backup();
        var inc = Change("Incremental");
        var snapshot = Snapshot();

        RunT("Copy-Backup $id -Repository $repo -Target $target -TargetKeyFile $other", ("id", inc.Id), ("other", OtherKey)).AssertError("CopyKeyRequired");
        var copied = RunT("Get-Backup -Repository $repo | Copy-Backup -Target $target -KeyFile $key -TargetKeyFile $other", ("other", OtherKey))
            .AssertNoErrors().Objects<BackupRecord>().ToList();
        Assert.Equal(Ids(full, inc), copied.Select(r => r.Id));
        foreach (var id in Ids(full, inc))
        {
            var manifest = Manifest(Target, id);
            Assert.Equal("single-object", manifest["layout"]!.GetValue<string>());
            Assert.Equal(KeyIdOf(OtherKey), manifest["encryption"]!["keyId"]!.GetValue<string>());
            Assert.True(File.Exists(Path.Combine(TargetFolder(id), "data")));
        }
        AssertAllPass(Target, OtherKey, 2);
        AssertRestores(Target, OtherKey, inc, snapshot);

        var synced = Run("Sync-BackupRepository -Source $repo -Destination $t -KeyFile $key -DestinationKeyFile $other", ("t", otherV2), ("other", OtherKey))
            .AssertNoErrors().Objects<SyncResult>().ToList();
        Assert.Equal([SyncAction.Copied, SyncAction.Copied], synced.Select(r => r.Action));
        ChunkedRepo.AssertChunked(otherV2, inc.Id);
        Assert.Empty(Chunks(Repo, full.Id).Intersect(Chunks(otherV2, full.Id))); // another repository, another chunk secret
        Assert.Contains(KeyIdOf(OtherKey), File.ReadAllText(Path.Combine(otherV2, "repository.json")));
        AssertAllPass(otherV2, OtherKey, 2);
        AssertRestores(otherV2, OtherKey, inc, snapshot);

        var again = Run("Sync-BackupRepository -Source $repo -Destination $t -KeyFile $key -DestinationKeyFile $other -RepairDamaged", ("t", otherV2), ("other", OtherKey))
            .AssertNoErrors().Objects<SyncResult>().ToList();
        Assert.Equal([SyncAction.Skipped, SyncAction.Skipped], again.Select(r => r.Action));
    }

    [Fact]
    public void A_damaged_source_is_refused_before_the_manifest_in_both_directions_and_leaves_no_pack_index_or_object()
    {
        InitRepoWithKey(); // format 1
        InitTarget("-Format v2");
        ChunkedRepo.AddRandomFile(Path.Combine(Cell, "big.bin"), 40 << 20); // more than two packs: some are committed before the damage is read
        var full = Backup();
        FlipByte(SourceObject(full.Id));
        var error = RunT("Copy-Backup $id -Repository $repo -Target $target -KeyFile $key", ("id", full.Id)).AssertError("SourceObjectDamaged");
        Assert.Contains(full.Id, error.Exception.Message);
        Assert.Empty(IdsIn(Target));
        Assert.Empty(FilesUnder(Target, "data"));
        Assert.Empty(FilesUnder(Target, "index"));
        Assert.Empty(FilesUnder(Target, $"backups/{full.Id}"));

        // Out of format 2: a pack with a flipped byte.
        var v2 = Temp.Sub("v2");
        var v1 = Temp.Sub("v1");
        Run("Initialize-BackupRepository -Path $a -Format v2 | Out-Null; Initialize-BackupRepository -Format v1 -Path $b | Out-Null", ("a", v2), ("b", v1)).AssertNoErrors();
        var chunked = Run("Backup-Cell -Name crm -Path $cell -Repository $a -KeyFile $key", ("a", v2)).AssertNoErrors().Single<BackupRecord>();
        FlipByte(FilesUnder(v2, "data").OrderBy(f => f, StringComparer.Ordinal).First());
        Run("Copy-Backup $id -Repository $a -Target $b -KeyFile $key", ("id", chunked.Id), ("a", v2), ("b", v1)).AssertError("SourceObjectDamaged");
        Assert.Empty(IdsIn(v1));
        Assert.Empty(FilesUnder(v1, $"backups/{chunked.Id}"));
    }

    [Fact]
    public void Sync_carries_a_repository_that_mixes_single_object_and_chunked_backups_into_v1_and_v2()
    {
        InitRepoWithKey(); // format 1: the full is a single object
        var full = Backup();
        var mixed = Temp.Sub("mixed");
        Run("Initialize-BackupRepository -Path $m -Format v2 | Out-Null", ("m", mixed)).AssertNoErrors();
        CopyTree(Path.Combine(Repo, "backups", full.Id), Path.Combine(mixed, "backups", full.Id)); // as an older version copied it: stored as is
        File.WriteAllText(Path.Combine(Cell, "after-full.txt"), "incremental content\n");
        var inc = Run("Backup-Cell -Name crm -Path $cell -Repository $m -KeyFile $key -Type Incremental", ("m", mixed)).AssertNoErrors().Single<BackupRecord>();
        Assert.Equal(full.Id, inc.ParentId);
        ChunkedRepo.AssertChunked(mixed, inc.Id);
        var snapshot = Snapshot();

        InitTarget(); // format 1
        var intoV1 = Run("Sync-BackupRepository -Source $m -Destination $target -KeyFile $key", ("m", mixed), ("target", Target)).AssertNoErrors().Objects<SyncResult>().ToList();
        Assert.Equal(Ids(full, inc), intoV1.Select(r => r.Id));
        Assert.All(intoV1, r => Assert.Equal(SyncAction.Copied, r.Action));
        Assert.Equal(File.ReadAllBytes(SourceObject(full.Id)), File.ReadAllBytes(Path.Combine(TargetFolder(full.Id), "data"))); // single-object → v1: verbatim
        Assert.Contains("\"layout\": \"single-object\"", ManifestText(Target, inc.Id));
        AssertAllPass(Target, KeyPath, 2);
        AssertRestores(Target, KeyPath, inc, snapshot);

        var v2 = Temp.Sub("v2");
        Run("Initialize-BackupRepository -Path $t -Format v2 | Out-Null", ("t", v2)).AssertNoErrors();
        var intoV2 = Run("Sync-BackupRepository -Source $m -Destination $t -KeyFile $key", ("m", mixed), ("t", v2)).AssertNoErrors().Objects<SyncResult>().ToList();
        Assert.All(intoV2, r => Assert.Equal(SyncAction.Copied, r.Action));
        ChunkedRepo.AssertChunked(v2, full.Id);
        ChunkedRepo.AssertChunked(v2, inc.Id);
        AssertAllPass(v2, KeyPath, 2);
        AssertRestores(v2, KeyPath, inc, snapshot);
        var skipped = Run("Sync-BackupRepository -Source $m -Destination $t -KeyFile $key", ("m", mixed), ("t", v2)).AssertNoErrors().Objects<SyncResult>().ToList();
        Assert.All(skipped, r => Assert.Equal(SyncAction.Skipped, r.Action));
    }

    [Fact]
    public void A_wal_batch_syncs_into_v2_and_back_out_to_v1_with_every_segment_intact()
    {
        InitRepoWithKey();
        InitTarget("-Format v2");
        var spool = Temp.Sub("spool");
        Directory.CreateDirectory(spool);
        var segments = new Dictionary<string, byte[]>();
        foreach (var (name, seed) in new[] { ("000000010000000000000001", 1), ("000000010000000000000002", 2) })
        {
            var bytes = new byte[1 << 20];
            new Random(seed).NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(spool, name), bytes);
            segments[name] = bytes;
        }
        Run("Push-PostgresWal $spool -Cell pitr -Repository $repo -KeyFile $key", ("spool", spool)).AssertNoErrors();
        var batch = Run("Get-Backup -Repository $repo").AssertNoErrors().Objects<BackupRecord>().Single();
        Assert.Equal("Wal", batch.Kind.ToString());

        var intoV2 = RunT("Sync-BackupRepository -Source $repo -Destination $target -KeyFile $key").AssertNoErrors().Objects<SyncResult>().Single();
        Assert.Equal(SyncAction.Copied, intoV2.Action);
        ChunkedRepo.AssertChunked(Target, batch.Id);
        var back = Temp.Sub("back");
        Run("Initialize-BackupRepository -Format v1 -Path $b | Out-Null; Sync-BackupRepository -Source $target -Destination $b -KeyFile $key | Out-Null", ("b", back), ("target", Target)).AssertNoErrors();

        var keys = new BackupKeyRing();
        keys.Add(BackupKeyFile.Read(KeyPath));
        foreach (var root in new[] { Target, back })
        {
            using var repository = BackupRepository.Open(new LocalBackupStore(root));
            var manifest = repository.GetManifest(batch.Id);
            Assert.Equal(BackupKind.Wal, manifest.Kind);
            using var data = repository.OpenObject(manifest, BackupManifest.DataRole, keys);
            var found = new Dictionary<string, byte[]>();
            using (var tar = new TarReader(data, leaveOpen: true))
            {
                while (tar.GetNextEntry() is { } entry)
                {
                    using var content = new MemoryStream();
                    entry.DataStream?.CopyTo(content);
                    found[entry.Name] = content.ToArray();
                }
            }
            data.VerifyToEnd();
            Assert.Equal(segments.Keys.Order(), found.Keys.Order());
            foreach (var (name, bytes) in segments) Assert.Equal(bytes, found[name]);
        }
    }
}
