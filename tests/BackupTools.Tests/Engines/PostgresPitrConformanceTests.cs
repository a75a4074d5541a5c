using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Core.Verification;
using BackupTools.Tests.PostgresPitr;
using Xunit;

namespace BackupTools.Tests.Engines;

/// <summary>
/// A private archiving PostgreSQL cluster for the physical engines' conformance: backup, Ctrl+C, integrity and secrets.
/// Their restore is a point-in-time cluster restore (Restore-PostgresCluster, its own tests), not the suite's in-place
/// restore of one backup, so <see cref="EngineConformanceTests.Restore"/> is null here.
/// </summary>
public abstract class PostgresPitrConformanceBase : EngineConformanceTests
{
    protected readonly ArchivingCluster Cluster;

    protected PostgresPitrConformanceBase()
    {
        Cluster = new ArchivingCluster(Temp.Sub("cluster"));
        Cluster.Scalar("create table t(id int primary key, filler text); insert into t select g, repeat('x', 500) from generate_series(1, 20000) g");
    }

    protected PostgresTarget Target => PostgresTarget.From(null, "127.0.0.1", Cluster.Port, "postgres", ArchivingCluster.Password);
    protected override RestoreTestTarget RestoreTestTarget => new(null, "127.0.0.1", Cluster.Port, "postgres", ArchivingCluster.Password, null);
    protected override Func<string, Func<string, string, bool>, string?>? Restore => null;

    protected override string Fingerprint() => $"{Cluster.Scalar("select count(*) from t")} {Cluster.Scalar("select sum(id) from t")}";

    protected override void Change() => Cluster.Scalar("delete from t where id % 7 = 0");

    public override void Dispose()
    {
        Cluster.Dispose();
        base.Dispose();
    }
}

/// <summary>Backup-PostgresBase (pg_basebackup streamed into the repository) against the conformance suite.</summary>
[Collection("servers")]
public sealed class PostgresBaseConformanceTests : PostgresPitrConformanceBase
{
    protected override string Engine => PgBaseBackupOperation.EngineName;
    protected override string? Secret => ArchivingCluster.Password;
    protected override string? DumpTool => "pg_basebackup";

    protected override BackupRecord Backup(IOperationObserver observer, CancellationToken cancel) =>
        new PgBaseBackupOperation(observer).Run(new PgBaseBackupRequest(new RepositoryReference(Repo), Target, "pg", null, null, Keys, LockTimeout), cancel);
}

/// <summary>Push-PostgresWal (a spooled WAL segment shipped as one batch) against the conformance suite; a push connects to no server, so it has no secret.</summary>
[Collection("servers")]
public sealed class PostgresWalConformanceTests : PostgresPitrConformanceBase
{
    protected override string Engine => WalArchive.EngineName;
    protected override string? Secret => null;

    protected override BackupRecord Backup(IOperationObserver observer, CancellationToken cancel)
    {
        Cluster.SwitchAndWaitArchived();
        var results = new WalPushOperation(observer).Run(new WalPushRequest(new RepositoryReference(Repo), Cluster.Spool, "pg", null, Keys, LockTimeout), cancel);
        var batch = Assert.Single(results, r => r.BatchId != null).BatchId!;
        return Repository.ToRecord(Repository.GetManifest(batch));
    }

    [Fact]
    public void A_cancelled_push_leaves_its_files_in_the_spool()
    {
        Cluster.SwitchAndWaitArchived();
        var spooled = WalPushOperation.Spooled(Cluster.Spool);
        Assert.NotEmpty(spooled);
        using var stop = new CancellationTokenSource();
        var cancelling = new RecordingObserver { OnProgress = stop.Cancel };
        Assert.ThrowsAny<OperationCanceledException>(() =>
            new WalPushOperation(cancelling).Run(new WalPushRequest(new RepositoryReference(Repo), Cluster.Spool, "pg", null, Keys, LockTimeout), stop.Token));
        Assert.Equal(spooled, WalPushOperation.Spooled(Cluster.Spool));
        Assert.Empty(Repository.ListManifests());
    }
}
