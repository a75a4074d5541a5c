using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;
using BackupTools.Tests.MySqlPitr;
using Xunit;

namespace BackupTools.Tests.Engines;

/// <summary>
/// The binlog push (Push-MySqlBinlog's write half) against the conformance suite: a private MariaDB's binlog files, as
/// the streamer leaves them in the spool, shipped as one batch. The streamer itself flushes what it spooled when it is
/// stopped (BinlogArchiveTests), and a batch is only replayed on top of a dump (Restore-MySql -BinlogCell), so the
/// suite's Ctrl+C and in-place restore apply to the push alone; a push connects to no server, so it has no secret.
/// </summary>
[Collection("servers")]
public sealed class MySqlBinlogConformanceTests : EngineConformanceTests
{
    private readonly ArchivingMariaDb _server;

    public MySqlBinlogConformanceTests()
    {
        _server = new ArchivingMariaDb(Temp.Sub("mariadb"));
        _server.Execute("create database shop");
        _server.Execute("create table t(id int primary key, filler text)", "shop");
        for (var i = 0; i < 20; i++)
            _server.Execute($"insert into t select seq, repeat('x', 500) from seq_{i * 500 + 1}_to_{i * 500 + 500}", "shop");
    }

    private string Spool => Temp.Sub("spool");

    protected override string Engine => BinlogArchive.EngineName;
    protected override string? Secret => null;
    protected override RestoreTestTarget RestoreTestTarget => new(null, "127.0.0.1", _server.Port, "root", ArchivingMariaDb.Password, null);
    protected override Func<string, Func<string, string, bool>, string?>? Restore => null;

    protected override BackupRecord Backup(IOperationObserver observer, CancellationToken cancel)
    {
        Directory.CreateDirectory(Spool);
        foreach (var file in Directory.EnumerateFiles(_server.BinlogDir, "binlog.0*")) File.Copy(file, Path.Combine(Spool, Path.GetFileName(file)), overwrite: true);
        var repository = Repository;
        var request = new BinlogArchiveRequest(new RepositoryReference(Repo), new MySqlTarget("127.0.0.1", _server.Port, "root", ArchivingMariaDb.Password), "shop-binlog", Spool,
            null, null, Keys, LockTimeout, false, TimeSpan.FromSeconds(1));
        var result = new BinlogPushOperation(observer).Push(repository, new BinlogArchive(repository.ListManifests(), request.Cell), request, cancel);
        return repository.ToRecord(repository.GetManifest(result.BatchId!));
    }

    protected override string Fingerprint() => string.Join(",", _server.Column("select count(*), sum(id) from t", "shop"));

    protected override void Change() => _server.Execute("delete from t where id % 7 = 0", "shop");

    public override void Dispose()
    {
        _server.Dispose();
        base.Dispose();
    }
}
