using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.RabbitMq;

/// <summary>
/// The RabbitMQ definitions engine. In a plan: `type: rabbitmq`, `url: http://mq:15672`, optional `vhost:`,
/// `user:` and `password:` (a secret reference) of a management user with the administrator tag.
/// </summary>
public static class RabbitMqEngine
{
    public static readonly BackupEngine Descriptor = new()
    {
        Name = RabbitMqBackupOperation.EngineName,
        DisplayName = "RabbitMQ definitions",
        Validators = new Dictionary<string, IContentValidator> { [BackupManifest.DataRole] = new RabbitMqDefinitionsValidator() },
        RestoreTest = Ability.Of<IRestoreTest>(new ThrowawayVhostTest()),
        RestoreCmdlet = "Restore-RabbitMqDefinitions",
        RestorePriority = RestorePriorities.Cache,
        Plan = Ability.Of(new PlanEngineSupport
        {
            Kind = "rabbitmq",
            Options = ["url", "vhost"],
            DefaultPort = 15672,
            Backup = c => new RabbitMqBackupOperation(c.Observer).Run(new RabbitMqBackupRequest(c.Repository, Target(c.Source, c.Password), c.Cell.Name, null, c.Keys, c.LockTimeout, c.Tags), c.Cancel),
            Restore = c => new RabbitMqRestoreOperation(c.Observer).Run(new RabbitMqRestoreRequest(c.Repository, c.Manifest.Id, Target(c.Source, c.Password),
                c.SkipSafetyBackup, c.Keys, c.LockTimeout, (_, _) => true), c.Cancel),
            SameSource = (m, s) => m.Source == Target(s, null).Describe(),
            Destination = s => Target(s, null).Describe(),
        }),
    };

    private static RabbitMqTarget Target(Plans.PlanSource source, string? password) =>
        RabbitMqTarget.From(source.Option("url") ?? (source.Server is null ? null : $"http://{source.Server}:{source.Port ?? 15672}"), source.User, password, source.Option("vhost"));

    /// <summary>-RestoreTest: the vhost-scoped objects into a throwaway vhost on the broker named by -Server/-Port (or -ConnectionString as the management URL).</summary>
    private sealed class ThrowawayVhostTest : IRestoreTest
    {
        public (bool Passed, TimeSpan? Duration) Run(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys, RestoreTestTarget target,
            List<IntegrityCheck> checks, IOperationObserver observer, CancellationToken cancel)
        {
            try
            {
                var broker = RabbitMqTarget.From(target.ConnectionString ?? (target.Server is null ? null : $"http://{target.Server}:{target.Port ?? 15672}"), target.User, target.Password, null);
                var outcome = RabbitMqThrowawayVhost.Run(repository, manifest, keys, broker, cancel);
                var ok = outcome.Differences.Count == 0;
                checks.Add(new IntegrityCheck("restore-test", ok, ok
                    ? $"{outcome.Objects} vhost-scoped objects imported into a throwaway vhost in {outcome.Duration.TotalSeconds:0.##} s and equal to the backup (users and permissions are broker-wide: not test-imported)"
                    : $"{outcome.Differences.Count} difference(s): {string.Join("; ", outcome.Differences.Take(5))}"));
                return (ok, outcome.Duration);
            }
            catch (BackupToolsException e)
            {
                checks.Add(new IntegrityCheck("restore-test", false, $"{e.ErrorId}: {e.Message}"));
                return (false, null);
            }
        }
    }
}
