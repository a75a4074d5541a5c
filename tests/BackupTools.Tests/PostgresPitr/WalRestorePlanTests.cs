using System.Text.Json.Nodes;
using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.Core.Repository;

namespace BackupTools.Tests.PostgresPitr;

/// <summary>Which archived WAL a recovery from a base backup needs, and where the archive has a hole.</summary>
public sealed class WalRestorePlanTests
{
    private static BackupManifest Manifest(string engine, JsonObject info, int serial) => new()
    {
        Id = $"20261201T00000{serial}Z-db-{engine}-00000{serial}", Cell = "db", Source = "pg", Engine = engine, Kind = BackupKind.Full,
        StartedAt = DateTimeOffset.UnixEpoch.AddMinutes(serial), CompletedAt = DateTimeOffset.UnixEpoch.AddMinutes(serial), Host = "t", ToolVersion = "0",
        Compression = new ManifestCompression { Algorithm = "none" }, Objects = [], EngineInfo = info,
    };

    private static readonly BackupManifest Base = Manifest("postgres-base", new JsonObject { ["walSegmentSize"] = 16L << 20, ["timeline"] = 1u, ["startLsn"] = "0/3000028" }, 0);

    private static WalArchive Archive(params string[][] batches) =>
        new(batches.Select((names, i) => Manifest("postgres-wal", new JsonObject
        {
            ["files"] = new JsonArray(names.Select(n => (JsonNode)new JsonObject { ["name"] = n, ["sha256"] = "00", ["bytes"] = 1L }).ToArray()),
        }, i + 1)).ToList(), "db");

    [Fact]
    public void An_empty_archive_is_no_gap_the_base_backup_restores_on_its_own()
    {
        var plan = WalRestorePlan.For(Archive(), Base);
        Assert.Empty(plan.Files);
        Assert.Null(plan.Gap);
    }

    [Fact]
    public void Segments_before_the_base_are_left_out_and_a_hole_stops_the_plan_naming_the_missing_range()
    {
        var plan = WalRestorePlan.For(Archive(
            ["000000010000000000000002", "000000010000000000000003", "000000010000000000000004"],
            ["000000010000000000000007", "00000002.history", "000000020000000000000008"]), Base);
        Assert.Equal(["000000010000000000000003", "000000010000000000000004", "00000002.history"], plan.Files);
        Assert.StartsWith("000000010000000000000005 … 000000010000000000000006 missing on timeline 1", plan.Gap);
    }

    [Fact]
    public void A_later_timeline_follows_when_the_base_timeline_has_no_hole()
    {
        var plan = WalRestorePlan.For(Archive(["000000010000000000000003", "00000002.history", "000000020000000000000004"]), Base);
        Assert.Equal(["000000010000000000000003", "00000002.history", "000000020000000000000004"], plan.Files);
        Assert.Null(plan.Gap);
    }

    [Fact]
    public void The_newest_stream_snapshot_of_the_segment_after_the_archived_run_carries_recovery_into_it()
    {
        var plan = WalRestorePlan.For(Archive(
            ["000000010000000000000003", "000000010000000000000003.00001000.stream"],
            ["000000010000000000000004.00000800.stream", "000000010000000000000004.00A00000.stream"],
            ["000000010000000000000006.00000800.stream"]), Base); // beyond the end of the run: unreachable
        Assert.Equal(["000000010000000000000003", "000000010000000000000004.00A00000.stream"], plan.Files);
        Assert.Null(plan.Gap);
        Assert.Equal("000000010000000000000004", WalRestorePlan.StagedName(plan.Files[^1]));
    }
}
