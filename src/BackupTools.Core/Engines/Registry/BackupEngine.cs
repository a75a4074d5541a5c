using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.Registry;

/// <summary>
/// Everything the rest of BackupTools needs to know about one engine, in one place: the engine name its
/// manifests carry, how to prove its content (validators per object role), its restore test, where it goes
/// in a cell's restore order, and — when plans can name it — its plan source kind, validation, backup and
/// restore factories and identity. Registered once in <see cref="EngineRegistry"/>.
/// </summary>
public sealed record BackupEngine
{
    /// <summary>The engine name written into manifests (BackupManifest.Engine), e.g. "postgres".</summary>
    public required string Name { get; init; }

    /// <summary>How messages call it, e.g. "PostgreSQL".</summary>
    public required string DisplayName { get; init; }

    /// <summary>Content validators by object role; every engine validates at least BackupManifest.DataRole.</summary>
    public required IReadOnlyDictionary<string, IContentValidator> Validators { get; init; }

    /// <summary>Test-BackupIntegrity -RestoreTest (and a plan's verify.restoreTest) for this engine's backups.</summary>
    public required Ability<IRestoreTest> RestoreTest { get; init; }

    /// <summary>Place in a cell's default restore order (lower first): 0 databases, 1 caches/queues, 2 files.</summary>
    public required int RestorePriority { get; init; }

    /// <summary>
    /// Null (the usual case): retention treats the engine's backups as series of their own. Set for batches that only
    /// serve another engine's backups (WAL, binlogs): they are kept exactly when a kept backup needs them.
    /// </summary>
    public IDependentRetention? DependentRetention { get; init; }

    /// <summary>The cmdlet that restores one of this engine's backups by -Id (its -Id/-Database completion offers only this engine's backups); null when none.</summary>
    public string? RestoreCmdlet { get; init; }

    /// <summary>The plan source kind (backup.yml `type:`) that backs up into this engine, with its schema and factories.</summary>
    public required Ability<PlanEngineSupport> Plan { get; init; }
}

/// <summary>Restore priorities shared by the engines (<see cref="BackupEngine.RestorePriority"/>).</summary>
public static class RestorePriorities
{
    public const int Database = 0;
    public const int Cache = 1;
    public const int Files = 2;
}
