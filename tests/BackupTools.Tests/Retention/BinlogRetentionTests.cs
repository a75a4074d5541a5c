using System.Text.Json.Nodes;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Repository;
using BackupTools.Core.Retention;

namespace BackupTools.Tests.Retention;

/// <summary>Retention keeps exactly the binlog that retained dumps and physical backups of the same server need (issue 18).</summary>
public sealed class BinlogRetentionTests
{
    private const string Server = "mysql://root@db1:3306";
    private static readonly DateTimeOffset Day = new(2026, 11, 20, 2, 0, 0, TimeSpan.Zero);
    private readonly List<BackupManifest> _manifests = [];

    private BackupManifest Add(string cell, string source, string engine, int day, JsonObject info)
    {
        var id = $"{Day.AddDays(day):yyyyMMdd'T'HHmmss'Z'}-{cell}-{engine}-{_manifests.Count:x6}";
        var m = new BackupManifest
        {
            Id = id, Cell = cell, Source = source, Engine = engine, Kind = engine == BinlogArchive.EngineName ? BackupKind.Binlog : BackupKind.Full,
            StartedAt = Day.AddDays(day), CompletedAt = Day.AddDays(day).AddMinutes(1), Host = "t", ToolVersion = "0",
            Compression = new ManifestCompression { Algorithm = "none" },
            Objects = new() { ["data"] = new ManifestObject { Key = $"backups/{id}/data", StoredBytes = 1, Sha256 = "00", RawBytes = 1, RawSha256 = "00" } },
            EngineInfo = info,
        };
        _manifests.Add(m);
        return m;
    }

    private BackupManifest Dump(int day, string binlogFile, string server = Server) =>
        Add("shop", $"{server}/shop", "mysql", day, new JsonObject { ["database"] = "shop", ["binlogFile"] = binlogFile, ["binlogPosition"] = 4L });

    private BackupManifest Physical(int day, string binlogFile) =>
        Add("mysql-db1-3306", Server, "mysql-physical", day, new JsonObject { ["binlogFile"] = binlogFile, ["binlogPosition"] = 4L });

    private BackupManifest Batch(int day, params string[] files) =>
        Add("mysql-db1-3306", Server, BinlogArchive.EngineName, day,
            BinlogArchive.Describe(files.Select(f => new BinlogSegment(f, 0, 100, "00", true, null, null, null, null, null))));

    private string[] Kept(RetentionPolicy policy) =>
        RetentionEvaluator.Evaluate(policy, _manifests, new HashSet<string>(), Day.AddDays(10)).Where(d => d.Keep).Select(d => d.Id).Order(StringComparer.Ordinal).ToArray();

    private static string[] Ids(params BackupManifest[] manifests) => manifests.Select(m => m.Id).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void The_batch_the_oldest_kept_dump_needs_survives_and_older_batches_go()
    {
        var b1 = Batch(0, "binlog.000001");
        var dump1 = Dump(0, "binlog.000002");
        var b2 = Batch(1, "binlog.000002", "binlog.000003");
        var dump2 = Dump(2, "binlog.000004");
        var b3 = Batch(2, "binlog.000003", "binlog.000004");
        var b4 = Batch(3, "binlog.000005");

        // One dump kept: its file (000004) is in b3, which also holds 000003 — kept whole; b1 and b2 go.
        Assert.Equal(Ids(dump2, b3, b4), Kept(new RetentionPolicy(KeepLast: 1)));
        // Both dumps kept: the older one needs 000002 on (b2); only b1 goes.
        Assert.Equal(Ids(dump1, b2, dump2, b3, b4), Kept(new RetentionPolicy(KeepLast: 2)));
    }

    [Fact]
    public void A_physical_backup_in_the_archives_cell_counts_as_a_base_too()
    {
        var b1 = Batch(0, "binlog.000001");
        var physical = Physical(1, "binlog.000002");
        var b2 = Batch(1, "binlog.000002");
        Assert.Equal(Ids(physical, b2), Kept(new RetentionPolicy(KeepLast: 1)));
        _ = b1;
    }

    [Fact]
    public void Without_a_kept_backup_of_the_same_server_no_binlog_is_deleted()
    {
        var b1 = Batch(0, "binlog.000001");
        var b2 = Batch(5, "binlog.000002");
        var other = Dump(6, "binlog.000009", server: "mysql://root@db2:3306");
        Assert.Equal(Ids(b1, b2, other), Kept(new RetentionPolicy(KeepLast: 1)));
    }
}
