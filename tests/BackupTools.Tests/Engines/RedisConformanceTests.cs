using BackupTools.Core.Repository;
using BackupTools.Core.Engines.Redis;
using BackupTools.Core.Operations;
using BackupTools.Core.Verification;
using BackupTools.Tests.Redis;
using StackExchange.Redis;
using Xunit;

namespace BackupTools.Tests.Engines;

/// <summary>A private password-protected redis-server with a few thousand keys, for the Redis engines' conformance.</summary>
public abstract class RedisConformanceBase : EngineConformanceTests
{
    private const string Password = "conformance-redis-secret-7f3a";
    protected readonly RedisInstance Server;

    protected RedisConformanceBase(string extraConfig = "")
    {
        Server = new RedisInstance(Temp.Sub("redis"), Password, extraConfig);
        using var connection = Server.Connect();
        var db = connection.GetDatabase(0);
        for (var i = 0; i < 3000; i++) db.StringSet($"key:{i}", new string('v', 200) + i);
    }

    protected RedisTarget Target => RedisTarget.From("127.0.0.1", Server.Port, null, Password, false, false);
    protected override string? Secret => Password;
    protected override RestoreTestTarget RestoreTestTarget => new(null, "127.0.0.1", Server.Port, null, Password, null);

    protected override string Fingerprint()
    {
        using var connection = Server.Connect();
        var server = connection.GetServer("127.0.0.1", Server.Port);
        var db = connection.GetDatabase(0);
        return string.Join("\n", server.Keys(0, "*", 1000).Select(k => (string)k!).Order(StringComparer.Ordinal).Select(k => $"{k}={db.StringGet(k)}"));
    }

    protected override void Change()
    {
        using var connection = Server.Connect();
        var db = connection.GetDatabase(0);
        db.KeyDelete("key:1");
        db.StringSet("added-after-backup", "x");
    }

    public override void Dispose()
    {
        Server.Dispose();
        base.Dispose();
    }
}

/// <summary>Redis RDB snapshots (replication), restored by replay, against the conformance suite.</summary>
[Collection("servers")]
public sealed class RedisRdbConformanceTests : RedisConformanceBase
{
    protected override string Engine => RedisBackupOperation.EngineName;

    protected override BackupRecord Backup(IOperationObserver observer, CancellationToken cancel) =>
        new RedisBackupOperation(observer).Run(new RedisBackupRequest(new RepositoryReference(Repo), Target, RedisBackupMode.Replication, null, TimeSpan.FromMinutes(1), "cache", null, Keys, LockTimeout), cancel);

    protected override Func<string, Func<string, string, bool>, string?> Restore => (id, shouldProcess) =>
        new RedisRestoreOperation(Observer).Run(new RedisRestoreRequest(new RepositoryReference(Repo), id, Target, null, null, null, TimeSpan.FromMinutes(1), false, Keys, LockTimeout, shouldProcess,
            RedisRestoreMethod.Replay), CancellationToken.None)?.SafetyBackupId;
}

/// <summary>Redis AOF sets against the conformance suite: backup, cancel, integrity and secrets (the engine has no restore yet).</summary>
[Collection("servers")]
public sealed class RedisAofConformanceTests() : RedisConformanceBase("appendonly yes")
{
    protected override string Engine => RedisAofBackupOperation.EngineName;

    protected override BackupRecord Backup(IOperationObserver observer, CancellationToken cancel) =>
        new RedisAofBackupOperation(observer).Run(new RedisAofBackupRequest(new RepositoryReference(Repo), Target, null, TimeSpan.FromMinutes(1), "cache", null, Keys, LockTimeout), cancel);

    protected override Func<string, Func<string, string, bool>, string?>? Restore => null;
}
