using BackupTools.Core.Repository;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Operations;
using BackupTools.Core.Verification;
using BackupTools.Tests.Postgres;
using Xunit;

namespace BackupTools.Tests.Engines;

/// <summary>PostgreSQL (pg_dump/pg_restore) against the conformance suite, on the real test server.</summary>
[Collection("servers")]
public sealed class PostgresConformanceTests : EngineConformanceTests
{
    private readonly PgTestDatabase _db = new();
    private static PostgresTarget Target => PostgresTarget.From(null, PgTestDatabase.Server.Host, PgTestDatabase.Server.Port, PgTestDatabase.Server.User, PgTestDatabase.Server.Password);

    protected override string Engine => PostgresBackupOperation.EngineName;
    protected override string? DumpTool => "pg_dump";
    protected override string? Secret => PgTestDatabase.Server.Password;
    protected override RestoreTestTarget RestoreTestTarget =>
        new(null, PgTestDatabase.Server.Host, PgTestDatabase.Server.Port, PgTestDatabase.Server.User, PgTestDatabase.Server.Password, null);

    protected override BackupRecord Backup(IOperationObserver observer, CancellationToken cancel) =>
        EngineOutcomes.Single(new PostgresBackupOperation(observer).Run(new PostgresBackupRequest(new RepositoryReference(Repo), Target, [_db.Name], false, false, false, [], [],
            null, null, null, Keys, LockTimeout), cancel));

    protected override string Fingerprint() => PgTestDatabase.Fingerprint(_db.Name);

    protected override void Change() => _db.Execute("delete from sales.invoices where id % 3 = 0; insert into sales.customers(name) values ('after the backup')");

    protected override Func<string, Func<string, string, bool>, string?> Restore => (id, shouldProcess) =>
        new PostgresRestoreOperation(Observer).Run(new PostgresRestoreRequest(new RepositoryReference(Repo), id, null, null, null, Target, true, false, null, Keys, LockTimeout, shouldProcess),
            CancellationToken.None)?.SafetyBackupId;

    public override void Dispose()
    {
        _db.Dispose();
        base.Dispose();
    }
}
