using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Plans;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.Registry;

/// <summary>
/// How a backup.yml source of one kind is validated, backed up, identified among the cell's backups and
/// restored. The loader, Invoke-BackupPlan, Restore-Cell, DR failover/failback and health-check placeholders
/// read it; none of them switch on the kind.
/// </summary>
public sealed record PlanEngineSupport
{
    /// <summary>backup.yml `type:` value, e.g. "postgres".</summary>
    public required string Kind { get; init; }

    /// <summary>Source keys that must be given, e.g. ["database"] (checked as "a {kind} source needs {key}.").</summary>
    public IReadOnlyList<string> Requires { get; init; } = [];

    /// <summary>Whether `path:` means something for this kind (a folder, a local RDB file…).</summary>
    public bool TakesPath { get; init; }

    /// <summary>Whether `fullEvery:` applies (engines with incremental chains).</summary>
    public bool TakesFullEvery { get; init; }

    /// <summary>
    /// Keys only this kind reads (plain values, e.g. "vhost"), found in PlanSource.Options / Option(key). Secrets
    /// are not options: they go in password (a secret reference). Requires may name an option too.
    /// </summary>
    public IReadOnlyList<string> Options { get; init; } = [];

    /// <summary>Extra checks of a source beyond the common keys: (key, message) per problem.</summary>
    public Func<PlanSource, IEnumerable<(string Key, string Message)>> Validate { get; init; } = _ => [];

    /// <summary>The server's usual port (health-check {source.port}); null for sources that are not servers.</summary>
    public required int? DefaultPort { get; init; }

    /// <summary>Runs the same core operation as the engine's cmdlet and returns the one record it wrote.</summary>
    public required Func<PlanBackupContext, BackupRecord> Backup { get; init; }

    /// <summary>
    /// Log shipping a plan run does after the source's backup (verified and copied), e.g. one pass of the binlog archiver;
    /// returns the records it wrote (copied to the cell's targets too). Null: the kind ships no log in a run.
    /// </summary>
    public Func<PlanBackupContext, IReadOnlyList<BackupRecord>>? ShipLog { get; init; }

    /// <summary>Restores one backup into the source through the engine's safe restore; returns what it did (its safety backup among it).</summary>
    public required Func<PlanRestoreContext, RestoreOutcome?> Restore { get; init; }

    /// <summary>Whether an untagged manifest (older than plan-source tags) was taken from this source.</summary>
    public required Func<BackupManifest, PlanSource, bool> SameSource { get; init; }

    /// <summary>Where a restore of the source lands, as Restore-Cell -WhatIf and its report show it.</summary>
    public required Func<PlanSource, string> Destination { get; init; }

    /// <summary>
    /// Restore-Cell between backups: the log replay (WAL, binlog) that carries the chosen backup on to -At (or, for
    /// physical recovery, to the end of its log), described for -WhatIf and the report; null when this source has no log
    /// to replay, and the backup is restored as it is. Unset: the kind never replays.
    /// </summary>
    public Func<PlanReplayQuery, string?>? Replay { get; init; }
}

/// <summary>What a source's replay is decided on: the repository's records, the chosen backup and the requested moment (null: none).</summary>
public sealed record PlanReplayQuery(IReadOnlyList<BackupManifest> Manifests, PlanCell Cell, PlanSource Source, BackupManifest Backup, DateTimeOffset? At);

/// <summary>One plan source's backup: repository, the source as declared (password resolved), keys, tags for the record.</summary>
public sealed record PlanBackupContext(RepositoryReference Repository, PlanCell Cell, PlanSource Source, string? Password, BackupKeyRing? Keys, TimeSpan LockTimeout,
    IReadOnlyDictionary<string, string> Tags, IOperationObserver Observer, CancellationToken Cancel);

/// <summary>
/// One plan source's restore from <paramref name="Manifest"/>; Control stops/starts the source's server where the engine needs it.
/// Replay: whether the engine's Replay found a log to replay; At: the moment it replays to (null: its end).
/// </summary>
public sealed record PlanRestoreContext(RepositoryReference Repository, PlanCell Cell, PlanSource Source, BackupManifest Manifest, string? Password, BackupKeyRing? Keys,
    bool Force, bool SkipSafetyBackup, TimeSpan LockTimeout, ServiceControl Control, IOperationObserver Observer, CancellationToken Cancel,
    bool Replay = false, DateTimeOffset? At = null);
