using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Plans;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.Redis;

/// <summary>The Redis RDB engine: a snapshot taken over replication (or a local dump.rdb), restored by swap or replay.</summary>
public static class RedisRdbEngine
{
    public static readonly BackupEngine Descriptor = new()
    {
        Name = RedisBackupOperation.EngineName,
        DisplayName = "Redis RDB",
        Validators = new Dictionary<string, IContentValidator> { [BackupManifest.DataRole] = new RedisRdbValidator() },
        RestoreTest = Ability.Of<IRestoreTest>(new RedisRestoreTest()),
        RestoreCmdlet = "Restore-RedisRdb",
        RestorePriority = RestorePriorities.Cache,
        Plan = Ability.Of(new PlanEngineSupport
        {
            Kind = "redis",
            TakesPath = true,
            DefaultPort = RedisTarget.DefaultPort,
            Backup = c => new RedisBackupOperation(c.Observer).Run(new RedisBackupRequest(c.Repository, Target(c.Source, c.Password), RedisBackupMode.Replication, null,
                TimeSpan.FromMinutes(10), c.Cell.Name, null, c.Keys, c.LockTimeout, c.Tags), c.Cancel),
            Restore = c => new RedisRestoreOperation(c.Observer).Run(new RedisRestoreRequest(c.Repository, c.Manifest.Id, Target(c.Source, c.Password), c.Source.Path,
                c.Control.StopAction, c.Control.StartAction, TimeSpan.FromMinutes(2), c.SkipSafetyBackup, c.Keys, c.LockTimeout, (_, _) => true), c.Cancel),
            SameSource = (m, s) => m.Source.Contains($"{s.Server ?? "127.0.0.1"}:{s.Port ?? RedisTarget.DefaultPort}", StringComparison.Ordinal),
            Destination = s => $"redis://{s.Server ?? "127.0.0.1"}:{s.Port}",
        }),
    };

    /// <summary>A plan source's server as a Redis target.</summary>
    public static RedisTarget Target(PlanSource source, string? password) => RedisTarget.From(source.Server, source.Port, source.User, password, source.Tls, false);
}
