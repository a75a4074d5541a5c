namespace BackupTools.Core.Plans;

/// <summary>
/// A backup.yml, loaded and validated: cells with their sources, targets, retention, keys, alerts,
/// schedules, restore order/hooks, health checks, RPO/RTO targets and DR sites. Secrets are references
/// (environment variable or file), never values. docs/backup-plan.md documents every key.
/// </summary>
public sealed record BackupPlanDefinition(
    string File,
    IReadOnlyDictionary<string, PlanTarget> Targets,
    string PrimaryTarget,
    IReadOnlyList<SecretRef> Keys,
    PlanRetention? Retention,
    PlanVerify Verify,
    IReadOnlyList<PlanAlertChannel> Alerts,
    string? MetricsPath,
    IReadOnlyList<PlanCell> Cells,
    IReadOnlyDictionary<string, PlanSite> Sites)
{
    public PlanTarget Primary => Targets[PrimaryTarget];
    /// <summary>`keyRotation:` — how old a key may get before backups that still need it are a status warning (e.g. 90d).</summary>
    public TimeSpan? KeyRotationPeriod { get; init; }
}

/// <summary>Where backups go: a repository URI (path, file://, s3://…) and an optional S3 credential reference.</summary>
public sealed record PlanTarget(string Name, string Repository, SecretRef? AccessKeyId, SecretRef? SecretAccessKey);

/// <summary>A secret is named, never written: the value comes from an environment variable or a file at run time.</summary>
public sealed record SecretRef(string? Env, string? File)
{
    public override string ToString() => Env != null ? $"env:{Env}" : $"file:{File}";
}

public sealed record PlanRetention(int KeepLast, int KeepHourly, int KeepDaily, int KeepWeekly, int KeepMonthly, int KeepYearly, TimeSpan? KeepWithin);

/// <summary>After each backup: verify it (hashes, decryption, content) and, optionally, a restore test.</summary>
public sealed record PlanVerify(bool Enabled, bool RestoreTest);

/// <summary>Name: how results, errors and the alert log call the channel (the plan's `name`, else alerts#N by position).</summary>
public sealed record PlanAlertChannel(string Kind, SecretRef? Url, SecretRef? Secret, string? SmtpServer, int SmtpPort, string? From,
    IReadOnlyList<string> To, string? User, SecretRef? Password, bool StartTls, bool OnFailureOnly, string Name = "");

public sealed record PlanCell(
    string Name,
    int Priority,
    TimeSpan? Rpo,
    TimeSpan? Rto,
    string? Schedule,
    IReadOnlyList<string> Targets,
    PlanRetention? Retention,
    IReadOnlyList<PlanSource> Sources,
    IReadOnlyList<string> RestoreOrder,
    PlanHooks Hooks,
    IReadOnlyList<PlanHealthCheck> HealthChecks,
    int Line);

/// <summary>One thing a cell backs up. Kind: a plan kind of the engine registry (postgres, mysql, redis, directory…); the rest depends on the kind.</summary>
public sealed record PlanSource(
    string Name,
    string Kind,
    string? Server,
    int? Port,
    string? Database,
    string? User,
    SecretRef? Password,
    string? Path,
    bool Tls,
    int Line,
    TimeSpan? FullEvery = null,
    PlanServiceControl? Control = null,
    IReadOnlyDictionary<string, string>? Options = null)
{
    /// <summary>An engine-specific key the source's engine declared (PlanEngineSupport.Options), or null when not given.</summary>
    public string? Option(string key) => Options != null && Options.TryGetValue(key, out var value) ? value : null;

    /// <summary>Restore priority across kinds in a failover (the engine's RestorePriority): databases first, then caches, then files.</summary>
    public int KindPriority => Engines.Registry.EngineRegistry.ForPlanKind(Kind).RestorePriority;
}

public sealed record PlanHooks(string? BeforeRestore, string? AfterRestore);

/// <summary>A check run after a restore or failover: a shell command (exit 0 = healthy), an HTTP GET (2xx) or a TCP connect.</summary>
public sealed record PlanHealthCheck(string Name, string? Command, string? Http, string? Tcp, TimeSpan Timeout);

/// <summary>
/// A DR site: the repository it restores from (kept up to date by Sync-BackupRepository from a target), the
/// endpoints its sources restore into (per source name), and the traffic-switch hook a failover ends with.
/// </summary>
public sealed record PlanSite(string Name, string Repository, string? SyncFrom, IReadOnlyDictionary<string, PlanSiteEndpoint> Endpoints,
    string? TrafficSwitch, string? FailbackSwitch);

public sealed record PlanSiteEndpoint(string? Server, int? Port, string? Path, string? User, SecretRef? Password, PlanServiceControl? Control = null);

/// <summary>
/// How a source's server is stopped and started around a restore that needs it (a Redis file swap, a directory
/// a service holds open): shell commands (stop/start) — e.g. 'systemctl stop redis-server' or 'docker stop cache'.
/// </summary>
public sealed record PlanServiceControl(string? Stop, string? Start);
