using System.Diagnostics;
using BackupTools.Core.Audit;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Plans;

public sealed record PlanCellRestoreRequest(
    BackupPlanDefinition Plan,
    string Cell,
    DateTimeOffset? At,
    IReadOnlyCollection<string>? Sources,
    string? Site,
    bool Force,
    bool SkipSafetyBackup,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess,
    Storage.StorageCredential? StorageCredential = null,
    RestoreHook? Hook = null);

/// <summary>
/// Restore-Cell's full form: every source of a plan's cell (or -Source) restored to the newest backup at or
/// before At — and on to At itself where the engine replays a log (WAL, binlog) —, in the cell's restore order (default: databases, then caches, then files), each through its
/// engine's own restore (safety backup, staging, verify, swap). The before/after hooks run around it and the
/// health checks after it. A failure stops before the next source; the report says what was and was not
/// restored. With a site, sources restore into that site's endpoints from the site's repository.
/// </summary>
public sealed class PlanCellRestorer(IOperationObserver observer)
{
    public CellRestoreReport Run(PlanCellRestoreRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var plan = request.Plan;
        var cell = plan.Cells.FirstOrDefault(c => string.Equals(c.Name, request.Cell, StringComparison.OrdinalIgnoreCase))
            ?? throw new BackupInputException("PlanCellNotFound", "Name", $"'{request.Cell}' is not a cell of {plan.File}.", $"Cells: {string.Join(", ", plan.Cells.Select(c => c.Name))}.");
        PlanSite? site = null;
        if (request.Site != null && !plan.Sites.TryGetValue(request.Site, out site))
            throw new BackupInputException("PlanSiteNotFound", "Site", $"'{request.Site}' is not a site of {plan.File}.", $"Sites: {string.Join(", ", plan.Sites.Keys)}.");
        foreach (var s in request.Sources ?? [])
            if (cell.Sources.All(x => x.Name != s))
                throw new BackupInputException("PlanSourceNotFound", "Source", $"'{s}' is not a source of cell {cell.Name}.", $"Sources: {string.Join(", ", cell.Sources.Select(x => x.Name))}.");

        var reference = PlanRepositories.Of(plan, request.StorageCredential).For(site?.Repository ?? plan.Primary.Repository);
        using var repository = reference.Open();
        var manifests = repository.ListManifests(observer, cancel);
        var keys = SecretResolver.KeyRing(plan, observer.Warning);
        var sources = RestoreOrder(cell).Where(s => request.Sources is not { Count: > 0 } || request.Sources.Contains(s.Name)).ToList();
        var chosen = sources.Select(s => (Source: Effective(s, site, cell), Manifest: Select(manifests, cell, s, request.At))).ToList();
        var replays = chosen.Select(c => c.Manifest is null ? null : ReplayOf(manifests, cell, c.Source, c.Manifest, request.At)).ToList();
        var items = chosen.Select((c, i) => new CellRestoreItem
        {
            Source = c.Source.Name,
            Kind = c.Source.Kind,
            BackupId = c.Manifest?.Id,
            BackupCompletedAt = c.Manifest?.CompletedAt,
            Destination = Destination(c.Source),
            Recovery = c.Manifest is null ? null : Recovery(c.Source, c.Manifest, replays[i], request.At),
            Status = "Planned",
        }).ToArray();
        var report = new CellRestoreReport { Cell = cell.Name, At = request.At, Site = site?.Name, Items = items, HealthChecks = [] };
        if (chosen.Where(c => c.Manifest is null).Select(c => c.Source).FirstOrDefault() is { } missing)
            throw new BackupToolsException("RestorePointNotFound", FailureKind.NotFound,
                $"Source {cell.Name}/{missing.Name} has no backup in {repository.Location}{(request.At is { } at ? $" at or before {at:u}" : "")}; nothing was restored.",
                "Check -At, or restore the other sources with -Source.");

        // One question for the whole cell: -WhatIf prints the exact plan, record by record.
        var description = $"Restore cell '{cell.Name}' from {repository.Location}: " + string.Join("; ", items.Select(i => $"{i.Source} ({i.Kind}) ← {i.BackupId}{(i.Recovery is { } r ? $" + {r}" : "")} into {i.Destination}"));
        if (!request.ShouldProcess(cell.Name, description)) return report;

        var environment = new Dictionary<string, string> { ["BACKUPTOOLS_CELL"] = cell.Name, ["BACKUPTOOLS_SITE"] = site?.Name ?? "" };
        if (cell.Hooks.BeforeRestore is { } before && RunHook("beforeRestore", before, environment, cancel) is { } hookError)
            throw new BackupToolsException("RestoreHookFailed", FailureKind.ExternalToolFailure, $"The beforeRestore hook of {cell.Name} failed ({hookError}); nothing was restored.", "Fix the hook or the service it stops, then restore again.");

        for (var i = 0; i < chosen.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var (source, manifest) = chosen[i];
            var item = items[i];
            var sourceClock = Stopwatch.StartNew();
            try
            {
                var recorder = new WarningRecorder(observer);
                item.Outcome = RestoreSource(reference, cell, source, manifest!, keys, request, recorder, replays[i] != null, cancel);
                if (item.Outcome != null) item.Outcome.Warnings = recorder.Warnings;
                item.SafetyBackupId = item.Outcome?.SafetyBackupId;
                if (request.Hook is { } hook && item.Outcome is { } outcome) RestoreHookRunner.Apply(hook, outcome, observer, cancel);
                item.Status = "Restored";
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                item.Status = "Failed";
                item.ErrorId = AuditLog.ErrorIdOf(e);
                item.Error = e.Message;
                foreach (var later in items.Skip(i + 1)) later.Status = "NotRestored";
                observer.Warning($"{cell.Name}/{source.Name} failed to restore from backup {manifest!.Id}: {e.Message.TrimEnd('.')}. Restored: {Names(items, "Restored")}; not restored: {Names(items, "NotRestored")}.");
                break;
            }
            finally
            {
                item.Duration = sourceClock.Elapsed;
            }
        }

        if (items.All(i => i.Status == "Restored"))
        {
            if (cell.Hooks.AfterRestore is { } after && RunHook("afterRestore", after, environment, cancel) is { } afterError)
                report.HealthChecks = [new HealthCheckResult("afterRestore hook", false, afterError, TimeSpan.Zero)];
            report.HealthChecks = [.. report.HealthChecks, .. cell.HealthChecks.Select(h => HealthChecker.Run(HealthCheckPlaceholders.Expand(h, cell, site), environment, cancel))];
        }
        var restored = items.Where(i => i.Status == "Restored" && i.BackupCompletedAt != null).ToList();
        if (restored.Count > 0) report.DataAge = DateTimeOffset.UtcNow - restored.Min(i => i.BackupCompletedAt!.Value);
        report.Duration = clock.Elapsed;
        return report;
    }

    private static string Names(IEnumerable<CellRestoreItem> items, string status) =>
        string.Join(", ", items.Where(i => i.Status == status).Select(i => i.Source)) is { Length: > 0 } names ? names : "none";

    /// <summary>The cell's restore order; sources it does not name follow by kind (databases, caches, files), then as declared.</summary>
    public static IReadOnlyList<PlanSource> RestoreOrder(PlanCell cell) =>
        cell.Sources
            .Select((s, i) => (s, i))
            .OrderBy(p => cell.RestoreOrder.ToList().IndexOf(p.s.Name) is var o and >= 0 ? o : int.MaxValue)
            .ThenBy(p => p.s.KindPriority).ThenBy(p => p.i)
            .Select(p => p.s).ToList();

    /// <summary>The newest backup of this source at or before At: records tagged with its plan-source name, else its engine and identity.</summary>
    public static BackupManifest? Select(IReadOnlyList<BackupManifest> manifests, PlanCell cell, PlanSource source, DateTimeOffset? at) =>
        manifests
            .Where(m => string.Equals(m.Cell, cell.Name, StringComparison.OrdinalIgnoreCase) && m.Engine == EngineOf(source.Kind))
            .Where(m => m.Tags.TryGetValue(PlanSourceBackup.SourceTag, out var tag) ? tag == source.Name : SameIdentity(m, source))
            .Where(m => !SafetyBackup.IsSafetyBackup(m))
            .Where(m => at is null || m.CompletedAt <= at)
            .MaxBy(m => m.CompletedAt);

    /// <summary>The manifest engine name a plan source kind backs up into (PlanSourceUnsupported for an unknown kind).</summary>
    public static string EngineOf(string kind) => EngineRegistry.ForPlanKind(kind).Name;

    private static bool SameIdentity(BackupManifest m, PlanSource s) => EngineRegistry.PlanOf(s.Kind).SameSource(m, s);

    /// <summary>The source as it is at the site (its endpoint overrides) — or as declared without a site.</summary>
    public static PlanSource Effective(PlanSource s, PlanSite? site, PlanCell cell)
    {
        if (site is null || !site.Endpoints.TryGetValue($"{cell.Name}/{s.Name}", out var ep)) return s;
        return s with { Server = ep.Server ?? s.Server, Port = ep.Port ?? s.Port, Path = ep.Path ?? s.Path, User = ep.User ?? s.User, Password = ep.Password ?? s.Password,
            Control = ep.Control ?? (ep.Server is null && ep.Port is null ? s.Control : null) }; // another server: the primary's commands are not its
    }

    private static string Destination(PlanSource s) => EngineRegistry.PlanOf(s.Kind).Destination(s);

    /// <summary>The log replay that carries this source's backup on to At (or to the end of its log); null: the backup is restored as it is.</summary>
    private static string? ReplayOf(IReadOnlyList<BackupManifest> manifests, PlanCell cell, PlanSource source, BackupManifest backup, DateTimeOffset? at) =>
        EngineRegistry.PlanOf(source.Kind).Replay?.Invoke(new PlanReplayQuery(manifests, cell, source, backup, at));

    /// <summary>The report's and -WhatIf's account of the point a source is restored to; with -At and no log it says the backup is older.</summary>
    private static string? Recovery(PlanSource source, BackupManifest backup, string? replay, DateTimeOffset? at) =>
        replay ?? (at is { } moment ? $"no log to replay: the state of {backup.CompletedAt:u}, the newest {source.Kind} backup at or before {moment:u}" : null);

    /// <summary>Restores one source through its engine's own safe restore; returns what the engine's restore did.</summary>
    private RestoreOutcome? RestoreSource(RepositoryReference repository, PlanCell cell, PlanSource source, BackupManifest manifest, BackupKeyRing? keys,
        PlanCellRestoreRequest request, IOperationObserver sourceObserver, bool replay, CancellationToken cancel)
    {
        var plan = EngineRegistry.PlanOf(source.Kind);
        var password = SecretResolver.Resolve(source.Password, $"cells.{cell.Name}.sources.{source.Name}.password");
        var control = new ServiceControl(source.Control, $"{cell.Name}/{source.Name}", new Dictionary<string, string>
            { ["BACKUPTOOLS_CELL"] = cell.Name, ["BACKUPTOOLS_SITE"] = request.Site ?? "", ["BACKUPTOOLS_SOURCE"] = source.Name }, cancel);
        return plan.Restore(new PlanRestoreContext(repository, cell, source, manifest, password, keys, request.Force, request.SkipSafetyBackup,
            request.LockTimeout, control, sourceObserver, cancel, replay, replay ? request.At : null));
    }

    private string? RunHook(string name, string command, IReadOnlyDictionary<string, string> environment, CancellationToken cancel)
    {
        var result = ShellCommand.Run(command, TimeSpan.FromMinutes(10), cancel, environment);
        if (!result.TimedOut && result.ExitCode == 0) return null;
        var error = result.TimedOut ? "timed out after 10 min" : $"exit {result.ExitCode}: {result.Output.Split('\n').LastOrDefault()?.Trim()}";
        observer.Warning($"{name} hook '{command}' failed: {error}");
        return error;
    }
}
