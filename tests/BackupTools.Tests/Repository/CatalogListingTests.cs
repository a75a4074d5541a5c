using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;
using BackupTools.Core.Repository.Catalog;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Repository;

/// <summary>
/// Get-Backup reads catalog segment lines straight into records (CatalogEntryFields), filtering as it reads: every
/// field and every filter must give what the records built from the manifests themselves give.
/// </summary>
public sealed class CatalogListingTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly BackupKeyRing _keys = new();

    public CatalogListingTests() => _keys.Add(BackupKey.Generate("listing-key"));

    public void Dispose() => _temp.Dispose();

    private static JsonObject Facts(int i) => new()
    {
        ["serverVersion"] = "15.8",
        ["note"] = $"quote \" backslash \\ plus + é {i}", // escaped in JSON text: the listing must unescape it
        ["databaseBytes"] = 734003200L + i,
        ["ratio"] = 0.5,
        ["exact"] = true,
        ["tables"] = new JsonArray(new JsonObject { ["table"] = "public.t", ["rows"] = 12345 * i }),
    };

    /// <summary>Backups of three cells and engines, full and incremental, with and without a key, one a restore's safety backup; then one segment holds them all.</summary>
    private BackupRepository Repository(int format)
    {
        var repository = BackupRepository.Initialize(new LocalBackupStore(_temp.Sub($"repo-v{format}")), new RepositoryDefaults(), formatVersion: format);
        string? parent = null;
        for (var i = 0; i < 12; i++)
        {
            var cell = $"cell{i % 3}";
            var engine = new[] { "postgres", "mysql", "redis" }[i % 3];
            var kind = i % 4 == 3 && parent != null ? BackupKind.Incremental : BackupKind.Full;
            var tags = i == 10 ? SafetyBackup.Tags("x") : i == 5 ? new Dictionary<string, string> { ["team"] = "crm" } : null;
            var keys = format == 2 || i % 2 == 0 ? _keys : null;
            using var writer = repository.BeginBackup(new BackupPlan(cell, $"db-{cell}.internal:5432/app", engine, kind, kind == BackupKind.Full ? null : parent, CompressionSettings.Default, tags), keys);
            using (var data = writer.OpenObject(BackupManifest.DataRole))
            {
                data.Write(Encoding.UTF8.GetBytes($"payload {i}"));
                data.Complete();
            }
            parent = writer.Complete(i == 4 ? null : Facts(i)).Id;
        }
        CatalogCompactor.Build(repository, NullObserver.Instance, CancellationToken.None);
        return repository;
    }

    private static string Describe(BackupRecord r) => JsonSerializer.Serialize(new
    {
        r.Id, r.Cell, r.Source, r.Engine, r.Kind, r.ParentId, r.StartedAt, r.CompletedAt, r.RawBytes, r.StoredBytes, r.Sha256, r.RawSha256,
        r.Compression, r.KeyId, r.KeyName, r.Repository, r.Location, r.Host, r.ToolVersion, r.EngineInfo, r.Tags, r.Status, r.IsSafetyBackup,
    });

    /// <summary>The query over every manifest, as Get-Backup did before it read the catalog itself.</summary>
    private static List<string> FromManifests(BackupRepository repository, BackupQuery q)
    {
        IEnumerable<BackupManifest> found = repository.ListManifests();
        if (q.Ids is { Count: > 0 }) found = found.Where(m => q.Ids.Contains(m.Id));
        if (q.Cells is { Count: > 0 }) found = found.Where(m => q.Cells.Contains(m.Cell, StringComparer.OrdinalIgnoreCase));
        if (q.Sources is { Count: > 0 }) found = found.Where(m => q.Sources.Any(s => s == m.Source || string.Equals(s, m.Engine, StringComparison.OrdinalIgnoreCase)));
        if (q.Kinds is { Count: > 0 }) found = found.Where(m => q.Kinds.Contains(m.Kind));
        if (q.Since is { } since) found = found.Where(m => m.StartedAt >= since);
        if (q.Until is { } until) found = found.Where(m => m.StartedAt <= until);
        if (q.LatestPerCell && !q.IncludeSafety) found = found.Where(m => !SafetyBackup.IsSafetyBackup(m));
        if (q.LatestPerCell) found = found.GroupBy(m => m.Cell).Select(g => g.OrderBy(m => m.StartedAt).ThenBy(m => m.Id, StringComparer.Ordinal).Last());
        return found.OrderBy(m => m.StartedAt).ThenBy(m => m.Id, StringComparer.Ordinal).Select(m => Describe(repository.ToRecord(m))).ToList();
    }

    private static List<string> Listed(BackupRepository repository, BackupQuery q) =>
        (CatalogListing.TryList(repository, q, CancellationToken.None) ?? throw new InvalidOperationException("no catalog")).Select(Describe).ToList();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Every_field_of_every_listed_record_equals_the_record_built_from_its_manifest(int format)
    {
        using var repository = Repository(format);
        Assert.Empty(repository.Store.List(CatalogKeys.EntriesPrefix)); // all in the segment: the line reader is what answers
        var expected = FromManifests(repository, new BackupQuery());
        Assert.Equal(12, expected.Count);
        Assert.Equal(expected, Listed(repository, new BackupQuery()));
        Assert.Equal(expected, BackupCatalog.Query(repository, new BackupQuery(), NullObserver.Instance).Select(Describe).ToList());
    }

    [Fact]
    public void Each_filter_applied_while_reading_selects_what_it_selects_over_the_manifests()
    {
        using var repository = Repository(1);
        var all = repository.ListManifests().OrderBy(m => m.StartedAt).ToList();
        var middle = all[5].StartedAt;
        BackupQuery[] queries =
        [
            new(Cells: ["CELL1"]),
            new(Sources: ["MySQL"]),
            new(Sources: ["db-cell2.internal:5432/app"]),
            new(Kinds: [BackupKind.Incremental]),
            new(Since: middle),
            new(Until: middle),
            new(Ids: [all[2].Id, all[9].Id]),
            new(LatestPerCell: true),
            new(LatestPerCell: true, IncludeSafety: true),
            new(Cells: ["cell0", "cell1"], Kinds: [BackupKind.Full], Since: all[1].StartedAt, LatestPerCell: true),
        ];
        foreach (var q in queries)
        {
            var expected = FromManifests(repository, q);
            Assert.True(expected.Count is > 0 and < 12, $"{q} selects {expected.Count}: the case proves nothing");
            Assert.Equal(expected, Listed(repository, q));
        }
        // The safety backup (cell1, the newest of its cell) is skipped by -Latest unless asked for.
        Assert.NotEqual(FromManifests(repository, new(LatestPerCell: true)), FromManifests(repository, new(LatestPerCell: true, IncludeSafety: true)));
    }

    [Fact]
    public void Engine_facts_written_as_an_object_read_as_those_written_as_text_and_odd_keys_and_hashes_stay_as_written()
    {
        using var repository = Repository(1);
        var manifest = repository.ListManifests().First(m => m.EngineInfo != null);
        var asText = JsonNode.Parse(CatalogEntry.ToBytes(manifest))!.AsObject();
        Assert.NotNull(asText["engineInfoText"]);
        var asObject = JsonNode.Parse(asText.ToJsonString())!.AsObject();
        asObject["engineInfo"] = JsonNode.Parse(asObject["engineInfoText"]!.GetValue<string>());
        asObject.Remove("engineInfoText");
        var data = asObject["objects"]!["data"]!;
        data["key"] = "elsewhere/data";
        data["sha256"] = data["sha256"]!.GetValue<string>().ToUpperInvariant();

        var expected = repository.ToRecord(manifest);
        var fromText = Read(asText, repository);
        var fromObject = Read(asObject, repository);
        Assert.Equal(Describe(expected), Describe(fromText));
        Assert.Equal(JsonSerializer.Serialize(expected.EngineInfo), JsonSerializer.Serialize(fromObject.EngineInfo));
        Assert.Equal("elsewhere/data", fromObject.Location);
        Assert.Equal(expected.Sha256.ToUpperInvariant(), fromObject.Sha256);
        Assert.Equal(expected.RawSha256, fromObject.RawSha256);
    }

    private static BackupRecord Read(JsonObject line, BackupRepository repository)
    {
        var bytes = Encoding.UTF8.GetBytes(line.ToJsonString());
        var fields = new CatalogEntryFields();
        fields.Parse(bytes, "test");
        return fields.ToRecord(bytes, repository.Location, null);
    }

    [Theory]
    [InlineData("""{"format":"backuptools-manifest","id":"not an id","objects":{"data":{"key":"k","sha256":"00","rawSha256":"00","storedBytes":1,"rawBytes":1}}}""")]
    [InlineData("""{"format":"backuptools-manifest","id":"20261203T193401Z-cell0-mysql-725acc","objects":{"index":{}}}""")]
    [InlineData("""{"format":"something-else","id":"20261203T193401Z-cell0-mysql-725acc","objects":{"data":{"key":"k","sha256":"00","rawSha256":"00"}}}""")]
    [InlineData("""{"format":"backuptools-manifest","id":"20261203T193401Z-cell0-mysql-725acc","startedAt":"yesterday","objects":{"data":{"key":"k","sha256":"00","rawSha256":"00"}}}""")]
    [InlineData("""{"format":"backuptools-manifest","id":"20261203T193401Z-cell0-mysql-725acc","objects":{"data":{"key":"k","sha256":7,"rawSha256":"00"}}}""")]
    [InlineData("""{"format":"backuptools-manifest","id":"20261203T193401Z-cell0-mysql-725acc","objects":{"data":{"key":"k","sha256":"00","rawSha256":"00"}}""")]
    public void A_line_that_is_not_a_backup_summary_is_named_as_damaged(string line)
    {
        var e = Assert.Throws<BackupTools.Core.Errors.BackupIntegrityException>(() => new CatalogEntryFields().Parse(Encoding.UTF8.GetBytes(line), "catalog/segments/x"));
        Assert.Equal("CatalogDamaged", e.ErrorId);
        Assert.Contains("catalog/segments/x", e.Message);
    }

    [Fact]
    public void Two_writers_merging_the_same_segments_at_once_leave_one_copy_of_each_backup()
    {
        using var repository = Repository(1);
        var store = repository.Store;
        var manifests = repository.ListManifests();
        var built = store.List(CatalogKeys.SegmentsPrefix).ToList();
        foreach (var manifest in manifests.Take(3)) CatalogSegment.Write(store, [manifest], CancellationToken.None);
        var small = store.List(CatalogKeys.SegmentsPrefix).Except(built).ToList();
        Assert.Equal(3, small.Count);
        var all = store.List(CatalogKeys.SegmentsPrefix).ToList();
        var saved = all.ToDictionary(k => k, k => { using var s = store.OpenRead(k); using var m = new MemoryStream(); s.CopyTo(m); return m.ToArray(); });

        CatalogCompactor.MergeSmallest(store, all, CancellationToken.None);
        var afterOne = store.List(CatalogKeys.SegmentsPrefix).Order(StringComparer.Ordinal).ToList();
        Assert.DoesNotContain(small[0], afterOne);
        // A second writer read the same segments before the first deleted them: as if they were still there.
        foreach (var (key, bytes) in saved) store.Replace(key, bytes);
        CatalogCompactor.MergeSmallest(store, all, CancellationToken.None);

        Assert.Equal(afterOne, store.List(CatalogKeys.SegmentsPrefix).Order(StringComparer.Ordinal).ToList()); // one merged file, written twice
        Assert.Equal(manifests.Select(m => m.Id).Order(StringComparer.Ordinal),
            Listed(repository, new BackupQuery()).Select(d => JsonNode.Parse(d)!["Id"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_merged_segment_is_named_by_what_it_merges_whatever_the_order()
    {
        string[] segments = [CatalogKeys.NewSegment(), CatalogKeys.NewSegment(), CatalogKeys.NewSegment()];
        var name = CatalogKeys.MergedSegment(segments);
        Assert.True(CatalogKeys.IsSegment(name));
        Assert.Equal(name, CatalogKeys.MergedSegment(segments.Reverse().ToList()));
        Assert.NotEqual(name, CatalogKeys.MergedSegment(segments[..2]));
        Assert.StartsWith(CatalogKeys.SegmentsPrefix + segments.Max(StringComparer.Ordinal)![CatalogKeys.SegmentsPrefix.Length..].Split('-')[0] + "-", name);
    }

    [Fact]
    public void A_hash_kept_as_bytes_reads_back_as_the_hex_it_was_and_anything_else_stays_text()
    {
        var hex = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData([1, 2, 3])).ToLowerInvariant();
        Assert.Equal(hex, HexText.TryParse(Encoding.ASCII.GetBytes(hex))!.Value.Text);
        Assert.Null(HexText.TryParse(Encoding.ASCII.GetBytes(hex.ToUpperInvariant())));
        Assert.Null(HexText.TryParse("abc"u8));
        Assert.Null(HexText.TryParse(""u8));
        Assert.Equal("", default(HexText).Text);
    }
}
