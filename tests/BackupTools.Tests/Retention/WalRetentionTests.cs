using System.Text.Json.Nodes;
using BackupTools.Core.Repository;
using BackupTools.Core.Retention;

namespace BackupTools.Tests.Retention;

/// <summary>Retention keeps exactly the WAL that retained base backups need (issue 17 item 4).</summary>
public sealed class WalRetentionTests
{
    private static readonly DateTimeOffset Day = new(2026, 11, 20, 2, 0, 0, TimeSpan.Zero);
    private readonly List<BackupManifest> _manifests = [];

    private BackupManifest Add(string engine, int day, JsonObject info)
    {
        var id = $"{Day.AddDays(day):yyyyMMdd'T'HHmmss'Z'}-db-{engine}-{_manifests.Count:x6}";
        var m = new BackupManifest
        {
            Id = id, Cell = "db", Source = "pg", Engine = engine, Kind = engine == "postgres-wal" ? BackupKind.Wal : BackupKind.Full,
            StartedAt = Day.AddDays(day), CompletedAt = Day.AddDays(day).AddMinutes(1), Host = "t", ToolVersion = "0",
            Compression = new ManifestCompression { Algorithm = "none" },
            Objects = new() { ["data"] = new ManifestObject { Key = $"backups/{id}/data", StoredBytes = 1, Sha256 = "00", RawBytes = 1, RawSha256 = "00" } },
            EngineInfo = info,
        };
        _manifests.Add(m);
        return m;
    }

    private BackupManifest Base(int day, string startLsn) =>
        Add("postgres-base", day, new JsonObject { ["walSegmentSize"] = 16L * 1024 * 1024, ["timeline"] = 1u, ["startLsn"] = startLsn });

    private BackupManifest Wal(int day, params string[] names) =>
        Add("postgres-wal", day, new JsonObject { ["files"] = new JsonArray(names.Select(n => (JsonNode)new JsonObject { ["name"] = n, ["sha256"] = "00", ["bytes"] = 1L }).ToArray()) });

    private string[] Kept(RetentionPolicy policy) =>
        RetentionEvaluator.Evaluate(policy, _manifests, new HashSet<string>(), Day.AddDays(10)).Where(d => d.Keep).Select(d => d.Id).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Wal_older_than_the_oldest_kept_base_goes_and_everything_after_it_stays_whatever_the_count_rules_say()
    {
        var base1 = Base(0, "0/2000028");
        var w1 = Wal(0, "000000010000000000000002", "000000010000000000000003");
        var w2 = Wal(1, "000000010000000000000004", "000000010000000000000005");
        var base2 = Base(2, "0/6000028");
        var w3 = Wal(2, "000000010000000000000006", "000000010000000000000007");
        var w4 = Wal(3, "000000010000000000000008", "00000002.history");
        var w5 = Wal(4, "000000020000000000000009");

        Assert.Equal(new[] { base2.Id, w3.Id, w4.Id, w5.Id }.Order(StringComparer.Ordinal), Kept(new RetentionPolicy(KeepLast: 1)));
        Assert.Equal(_manifests.Select(m => m.Id).Order(StringComparer.Ordinal), Kept(new RetentionPolicy(KeepLast: 2)));
        _ = (base1, w1, w2);
    }

    [Fact]
    public void Stream_snapshots_go_once_their_segment_is_archived_in_full_or_a_longer_snapshot_is_and_the_newest_stays()
    {
        var base1 = Base(0, "0/2000028");
        var s1 = Wal(0, "000000010000000000000002.00100000.stream");
        var s2 = Wal(0, "000000010000000000000002.00200000.stream");
        var mixed = Wal(1, "000000010000000000000002", "000000010000000000000003.00010000.stream"); // the full segment 2
        var s3 = Wal(1, "000000010000000000000003.00020000.stream");
        var s4 = Wal(1, "000000010000000000000003.00030000.stream"); // the newest of segment 3: what recovery stages

        // s1, s2 are superseded by segment 2; the snapshot in `mixed` by s3 and s4, but `mixed` holds segment 2: kept whole.
        Assert.Equal(new[] { base1.Id, mixed.Id, s4.Id }.Order(StringComparer.Ordinal), Kept(new RetentionPolicy(KeepLast: 1)));
        _ = (s1, s2, s3);
    }

    [Fact]
    public void Superseded_stream_snapshots_go_also_in_a_cell_without_a_kept_base_backup()
    {
        var s1 = Wal(0, "000000010000000000000002.00100000.stream");
        var s2 = Wal(0, "000000010000000000000002.00200000.stream");
        Assert.Equal(new[] { s2.Id }, Kept(new RetentionPolicy(KeepLast: 1)));
        _ = s1;
    }

    [Fact]
    public void Without_a_kept_base_backup_no_wal_is_deleted()
    {
        var w1 = Wal(0, "000000010000000000000002");
        var w2 = Wal(5, "000000010000000000000003");
        Assert.Equal(new[] { w1.Id, w2.Id }.Order(StringComparer.Ordinal), Kept(new RetentionPolicy(KeepLast: 1)));
    }
}
