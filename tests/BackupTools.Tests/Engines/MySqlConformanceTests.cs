using BackupTools.Core.Repository;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Operations;
using BackupTools.Core.Verification;
using BackupTools.Tests.MySql;
using Xunit;

namespace BackupTools.Tests.Engines;

/// <summary>MySQL/MariaDB (dump/load) against the conformance suite, on the real test server.</summary>
[Collection("servers")]
public sealed class MySqlConformanceTests : EngineConformanceTests
{
    private readonly MySqlTestDatabase _db = new();
    private static MySqlTarget Target => MySqlTarget.From(null, MySqlTestDatabase.Server.Host, MySqlTestDatabase.Server.Port, MySqlTestDatabase.Server.User, MySqlTestDatabase.Server.Password);

    protected override string Engine => MySqlBackupOperation.EngineName;
    protected override string? DumpTool => "dump --defaults-extra-file";
    protected override string? Secret => MySqlTestDatabase.Server.Password;
    protected override RestoreTestTarget RestoreTestTarget =>
        new(null, MySqlTestDatabase.Server.Host, MySqlTestDatabase.Server.Port, MySqlTestDatabase.Server.User, MySqlTestDatabase.Server.Password, null);

    protected override BackupRecord Backup(IOperationObserver observer, CancellationToken cancel) =>
        EngineOutcomes.Single(new MySqlBackupOperation(observer).Run(new MySqlBackupRequest(new RepositoryReference(Repo), Target, [_db.Name], false, false, null, null, null, Keys, LockTimeout), cancel));

    protected override string Fingerprint() => MySqlTestDatabase.Fingerprint(_db.Name);

    protected override void Change() => _db.Execute("delete from customers where id % 3 = 0; insert into events_log(payload) values ('after the backup')");

    protected override Func<string, Func<string, string, bool>, string?> Restore => (id, shouldProcess) =>
        new MySqlRestoreOperation(Observer).Run(new MySqlRestoreRequest(new RepositoryReference(Repo), id, null, null, null, Target, false, null, Keys, LockTimeout, shouldProcess, Force: true),
            CancellationToken.None)?.SafetyBackupId;

    public override void Dispose()
    {
        _db.Dispose();
        base.Dispose();
    }
}
