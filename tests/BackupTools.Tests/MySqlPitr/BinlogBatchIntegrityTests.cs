using System.Formats.Tar;
using System.Security.Cryptography;
using BackupTools.Core.Engines;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Cells;

namespace BackupTools.Tests.MySqlPitr;

/// <summary>
/// Test-BackupIntegrity on archive batches whose stored bytes are intact but whose tar is not what the manifest lists
/// (a member's byte flipped before it was stored, a member missing): the shared hashed-tar-batch validator names the
/// member and the problem, with the engine's own error id — for binlog batches and, through the same validator, WAL batches.
/// </summary>
public sealed class BinlogBatchIntegrityTests : CellTestBase
{
    private static readonly byte[] First = RandomNumberGenerator.GetBytes(4096);
    private static readonly byte[] Second = RandomNumberGenerator.GetBytes(3000);

    private static string Sha(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    private static BinlogSegment Segment(long start, byte[] content) =>
        new("mysql-bin.000001", start, start + content.Length, Sha(content), false, null, null, null, null, null);

    /// <summary>Writes a batch whose manifest lists both members; the tar holds what <paramref name="stored"/> says.</summary>
    private string WriteBatch(string engine, System.Text.Json.Nodes.JsonObject facts, params (string Name, byte[] Content)[] stored)
    {
        var repository = BackupRepository.Open(new LocalBackupStore(Repo));
        var kind = engine == WalArchive.EngineName ? BackupKind.Wal : BackupKind.Binlog;
        return new BackupTemplate(NullObserver.Instance).Write(repository, new StreamBackup("db1", "test", engine, null, null, Kind: kind), data =>
        {
            using var tar = new TarWriter(data, TarEntryFormat.Pax, leaveOpen: true);
            foreach (var (name, content) in stored) tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
        }, () => facts, CancellationToken.None).Id;
    }

    private string WriteBinlogBatch(params (string Name, byte[] Content)[] stored) =>
        WriteBatch(BinlogArchive.EngineName, BinlogArchive.Describe([Segment(0, First), Segment(4096, Second)]), stored);

    private IntegrityResult Test(string id) => Run("Test-BackupIntegrity -Repository $repo -Id $id", ("id", id)).Single<IntegrityResult>();

    private static string FailedCheck(IntegrityResult result)
    {
        Assert.False(result.Passed);
        return Assert.Single(result.Checks, c => !c.Passed).ToString();
    }

    [Fact]
    public void An_intact_binlog_batch_passes()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null").AssertNoErrors();
        var result = Test(WriteBinlogBatch(("mysql-bin.000001@0", First), ("mysql-bin.000001@4096", Second)));
        Assert.True(result.Passed, string.Join("; ", result.Checks));
        Assert.Contains(result.Checks, c => c.Name == "data:binlog" && c.Detail == "2 binlog segments, each matching its SHA-256");
    }

    [Fact]
    public void A_binlog_segment_with_a_byte_flipped_is_named()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null").AssertNoErrors();
        var flipped = (byte[])Second.Clone();
        flipped[1234] ^= 0x01;
        var failure = FailedCheck(Test(WriteBinlogBatch(("mysql-bin.000001@0", First), ("mysql-bin.000001@4096", flipped))));
        Assert.Contains("data:binlog", failure);
        Assert.Contains("MySqlBinlogDamaged", failure);
        Assert.Contains("Binlog segment mysql-bin.000001@4096 does not match the SHA-256", failure);
    }

    [Fact]
    public void A_missing_binlog_segment_is_named()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null").AssertNoErrors();
        var failure = FailedCheck(Test(WriteBinlogBatch(("mysql-bin.000001@0", First))));
        Assert.Contains("BinlogBatchIncomplete", failure);
        Assert.Contains("holds 1 of the 2 binlog segments its manifest lists; missing: mysql-bin.000001@4096", failure);
    }

    [Fact]
    public void A_member_stored_twice_cannot_stand_in_for_a_missing_one()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null").AssertNoErrors();
        var failure = FailedCheck(Test(WriteBinlogBatch(("mysql-bin.000001@0", First), ("mysql-bin.000001@0", First))));
        Assert.Contains("BinlogBatchUnexpectedEntry", failure);
    }

    [Fact]
    public void A_WAL_batch_goes_through_the_same_validator_with_its_own_ids()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null").AssertNoErrors();
        var files = new[] { ("000000010000000000000001", Sha(First), (long)First.Length), ("000000010000000000000002", Sha(Second), (long)Second.Length) };
        var failure = FailedCheck(Test(WriteBatch(WalArchive.EngineName, WalArchive.Describe(files, "7000000000000000001"), ("000000010000000000000001", First))));
        Assert.Contains("data:wal", failure);
        Assert.Contains("WalFileMissing", failure);
        Assert.Contains("missing: 000000010000000000000002", failure);
    }
}
