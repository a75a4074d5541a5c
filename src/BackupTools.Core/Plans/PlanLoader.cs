using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace BackupTools.Core.Plans;

/// <summary>The outcome of reading a plan: the plan when it is valid, and every problem found (all of them, not the first).</summary>
public sealed record PlanLoadResult(BackupPlanDefinition? Plan, IReadOnlyList<PlanProblem> Problems)
{
    public bool Valid => Plan != null && Problems.Count == 0;
}

/// <summary>
/// Reads backup.yml (YamlDotNet's representation model, so every problem carries its line and column) into a
/// BackupPlanDefinition, checking types, allowed values, unknown keys, secrets written inline, and references
/// between sections (cells → targets, restore order → sources, sites → cells/sources).
/// </summary>
public static class PlanLoader
{
    /// <summary>Source kinds a plan may name: every registered engine with plan support.</summary>
    public static IReadOnlyList<string> SourceKinds => EngineRegistry.PlanKinds;
    private static readonly string[] AlertKinds = [.. Alerts.AlertChannelRegistry.Names];

    /// <summary>Loads and throws BackupPlanInvalid (listing every problem) unless the plan is valid.</summary>
    public static BackupPlanDefinition LoadValid(string path)
    {
        var result = Load(path);
        if (result.Valid) return result.Plan!;
        throw new BackupInputException("BackupPlanInvalid", "Plan",
            $"{path} has {result.Problems.Count} problem(s):\n  " + string.Join("\n  ", result.Problems),
            "Fix them (Test-BackupPlan lists them with line numbers); docs/backup-plan.md describes every key.");
    }

    public static PlanLoadResult Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new BackupInputException("BackupPlanNotFound", "Plan", $"'{path}' does not exist.", "Give the path of your backup.yml.");
        var problems = new PlanProblems(full);
        YamlStream yaml = new();
        try
        {
            using var reader = new StreamReader(full);
            yaml.Load(reader);
        }
        catch (YamlException e)
        {
            problems.All.Add(new PlanProblem(full, (int)e.Start.Line, (int)e.Start.Column, "(syntax)", e.InnerException?.Message ?? e.Message, null));
            return new PlanLoadResult(null, problems.All);
        }
        if (yaml.Documents.Count != 1 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            problems.Add(null, "(document)", "a plan is one YAML document whose top level is a mapping (version:, targets:, cells: …).");
            return new PlanLoadResult(null, problems.All);
        }
        var plan = Read(new PlanMap(root, "", problems), full);
        return new PlanLoadResult(problems.All.Count == 0 ? plan : null, problems.All);
    }

    private static BackupPlanDefinition Read(PlanMap root, string file)
    {
        var problems = root.Problems;
        if (root.Int("version", 1, 1, required: true) is null && root.Has("version"))
            problems.Add(root.Raw("version"), "version", "this BackupTools reads plan version 1.", "1");

        var targets = ReadTargets(root);
        var primaryText = root.String("repository");
        string? primary = null;
        if (primaryText is null && targets.Count > 0) primary = targets.Keys.First();
        else if (primaryText is null) problems.Add(root.Node, "repository", "is required: name a target, or give a repository path/URI.", "a target name or a path/URI");
        else if (targets.ContainsKey(primaryText)) primary = primaryText;
        else if (LooksLikeRepository(primaryText))
        {
            primary = "primary";
            targets[primary] = new PlanTarget(primary, primaryText, null, null);
        }
        else problems.Add(root.Raw("repository"), "repository", $"'{primaryText}' is neither a target name nor a path/URI.", string.Join(", ", targets.Keys));

        var keys = root.MapList("keys").Select((k, i) => ReadKeyRef(k)).OfType<SecretRef>().ToList();
        var retention = ReadRetention(root.Map("retention"));
        var verifyMap = root.Map("verify");
        var verify = new PlanVerify(verifyMap?.Bool("enabled", true) ?? true, verifyMap?.Bool("restoreTest", false) ?? false);
        verifyMap?.RejectUnknownKeys();
        var alerts = root.MapList("alerts").Select((map, i) => ReadAlert(map) is { } a ? a with { Name = a.Name.Length > 0 ? a.Name : $"alerts#{i + 1}" } : null)
            .OfType<PlanAlertChannel>().ToList();
        var metrics = root.String("metrics");
        var keyRotation = root.Duration("keyRotation");

        var cells = root.MapList("cells", required: true).Select(c => ReadCell(c, targets)).OfType<PlanCell>().ToList();
        foreach (var dup in cells.GroupBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            problems.Add(null, $"cells.{dup.Key}", $"cell '{dup.Key}' is declared {dup.Count()} times (at lines {string.Join(", ", dup.Select(c => c.Line))}).");
        var sites = ReadSites(root, targets, cells);
        root.RejectUnknownKeys();
        return new BackupPlanDefinition(file, targets, primary ?? "", keys, retention, verify, alerts, metrics, cells, sites) { KeyRotationPeriod = keyRotation };
    }

    private static bool LooksLikeRepository(string text) => text.Contains('/') || text.Contains("://", StringComparison.Ordinal);

    private static Dictionary<string, PlanTarget> ReadTargets(PlanMap root)
    {
        var targets = new Dictionary<string, PlanTarget>(StringComparer.Ordinal);
        if (root.Map("targets") is not { } map) return targets;
        foreach (var (keyNode, value) in map.Node.Children)
        {
            var name = ((YamlScalarNode)keyNode).Value ?? "";
            map.Raw(name);
            var path = $"targets.{name}";
            if (value is YamlScalarNode { Value: { } uri }) { targets[name] = new PlanTarget(name, uri, null, null); continue; }
            if (value is not YamlMappingNode node) { map.Problems.Add(value, path, "must be a repository path/URI or a mapping with repository:."); continue; }
            var target = new PlanMap(node, path, map.Problems);
            var repository = target.String("repository", required: true, "a path, file://… or s3://bucket/prefix?endpoint=…");
            var keyId = target.Secret("accessKeyId");
            var secret = target.Secret("secretAccessKey");
            target.RejectUnknownKeys();
            if (repository != null) targets[name] = new PlanTarget(name, repository, keyId, secret);
        }
        return targets;
    }

    private static SecretRef? ReadKeyRef(PlanMap key)
    {
        var env = key.String("env");
        var file = key.String("file");
        key.RejectUnknownKeys();
        if ((env is null) == (file is null))
        {
            key.Problems.Add(key.Node, key.Path, "a key is given as exactly one of env or file.", "- { file: /etc/backuptools/main.key } or - { env: BACKUPTOOLS_KEY }");
            return null;
        }
        return new SecretRef(env, file);
    }

    private static PlanRetention? ReadRetention(PlanMap? map)
    {
        if (map is null) return null;
        var r = new PlanRetention(map.Int("keepLast", 1, 100_000) ?? 0, map.Int("keepHourly", 1, 100_000) ?? 0, map.Int("keepDaily", 1, 100_000) ?? 0,
            map.Int("keepWeekly", 1, 100_000) ?? 0, map.Int("keepMonthly", 1, 100_000) ?? 0, map.Int("keepYearly", 1, 100_000) ?? 0, map.Duration("keepWithin"));
        map.RejectUnknownKeys();
        if (r is { KeepLast: 0, KeepHourly: 0, KeepDaily: 0, KeepWeekly: 0, KeepMonthly: 0, KeepYearly: 0, KeepWithin: null })
            map.Problems.Add(map.Node, map.Path, "an empty retention policy would keep only the newest backup.", "keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin");
        return r;
    }

    private static PlanAlertChannel? ReadAlert(PlanMap map)
    {
        var kind = map.OneOf("type", AlertKinds, required: true);
        var channel = new PlanAlertChannel(kind ?? "", map.Secret("url"), map.Secret("secret"), map.String("smtpServer"), map.Int("smtpPort", 1, 65535) ?? 587,
            map.String("from"), map.StringList("to"), map.String("user"), map.Secret("password"), map.Bool("startTls", true), map.Bool("onFailureOnly", true),
            map.String("name") ?? "");
        map.RejectUnknownKeys();
        if (kind is null) return null;
        var usesSmtp = Alerts.AlertChannelRegistry.Kind(kind).UsesSmtp;
        if (usesSmtp && (channel.SmtpServer is null || channel.From is null || channel.To.Count == 0))
            map.Problems.Add(map.Node, map.Path, $"an {kind} channel needs smtpServer, from and to.");
        else if (!usesSmtp && channel.Url is null)
            map.Problems.Add(map.Node, map.Path, $"a {kind} channel needs url (a secret reference: webhook URLs carry tokens).", "url: { env: SLACK_WEBHOOK_URL }");
        return channel;
    }

    private static PlanCell? ReadCell(PlanMap map, IReadOnlyDictionary<string, PlanTarget> targets)
    {
        var problems = map.Problems;
        var name = map.String("name", required: true, "letters, digits, '.', '_', '-'");
        if (name != null)
        {
            try { BackupId.ValidateCellName(name); }
            catch (BackupInputException) { problems.Add(map.Raw("name"), $"{map.Path}.name", $"'{name}' is not a valid cell name.", "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"); name = null; }
        }
        var cellTargets = map.StringList("targets");
        foreach (var t in cellTargets.Where(t => !targets.ContainsKey(t)))
            problems.Add(map.Raw("targets"), $"{map.Path}.targets", $"'{t}' is not a target declared under targets:.", string.Join(", ", targets.Keys));
        var sources = map.MapList("sources", required: true).Select(ReadSource).OfType<PlanSource>().ToList();
        foreach (var dup in sources.GroupBy(s => s.Name).Where(g => g.Count() > 1))
            problems.Add(map.Raw("sources"), $"{map.Path}.sources", $"source name '{dup.Key}' is used {dup.Count()} times in this cell.");
        var restore = map.Map("restore");
        var order = restore?.StringList("order") ?? [];
        foreach (var missing in order.Where(o => sources.All(s => s.Name != o)))
            problems.Add(restore!.Raw("order"), $"{map.Path}.restore.order", $"'{missing}' is not a source of this cell.", string.Join(", ", sources.Select(s => s.Name)));
        var hooks = new PlanHooks(restore?.String("beforeRestore"), restore?.String("afterRestore"));
        restore?.RejectUnknownKeys();
        var checks = map.MapList("healthChecks").Select(ReadHealthCheck).OfType<PlanHealthCheck>().ToList();
        var schedule = map.String("schedule");
        if (schedule != null)
        {
            try { Scheduling.CronExpression.Parse(schedule, "schedule"); }
            catch (BackupInputException e)
            {
                problems.Add(map.Raw("schedule"), $"{map.Path}.schedule", $"'{schedule}' is not a valid cron expression ({e.Message.Replace("-schedule: ", "")}).",
                    "minute hour day-of-month month day-of-week, e.g. '0 2 * * *', or @hourly/@daily/@weekly/@monthly");
            }
        }
        var cell = new PlanCell(name ?? "", map.Int("priority", 0, 1000) ?? 100, map.Duration("rpo"), map.Duration("rto"), schedule,
            cellTargets, ReadRetention(map.Map("retention")), sources, order, hooks, checks, map.Line);
        for (var i = 0; i < checks.Count; i++)
            foreach (var problem in new[] { checks[i].Command, checks[i].Http, checks[i].Tcp }.SelectMany(t => HealthCheckPlaceholders.Problems(t, cell)))
                problems.Add(map.Raw("healthChecks"), $"{map.Path}.healthChecks[{i}]", problem);
        map.RejectUnknownKeys();
        return name is null ? null : cell;
    }

    private static PlanSource? ReadSource(PlanMap map)
    {
        var name = map.String("name", required: true);
        var kind = map.OneOf("type", SourceKinds, required: true);
        var engine = kind is null ? null : EngineRegistry.PlanOf(kind);
        var options = engine?.Options.Select(key => (key, value: map.String(key))).Where(o => o.value != null).ToDictionary(o => o.key, o => o.value!);
        var source = new PlanSource(name ?? "", kind ?? "", map.String("server"), map.Int("port", 1, 65535), map.String("database"),
            map.String("user"), map.Secret("password"), map.String("path"), map.Bool("tls", false), map.Line, map.Duration("fullEvery"), ReadControl(map),
            options is { Count: > 0 } ? options : null);
        map.RejectUnknownKeys();
        if (engine is null || name is null) return null;
        ValidateForKind(map, source, engine);
        return source;
    }

    /// <summary>The engine's own rules for its sources: required keys, path/fullEvery only where they mean something, extra checks.</summary>
    private static void ValidateForKind(PlanMap map, PlanSource source, PlanEngineSupport plan)
    {
        var kind = plan.Kind;
        foreach (var key in plan.Requires.Where(key => ValueOf(source, key) is null))
            map.Problems.Add(map.Node, $"{map.Path}.{key}", $"a {kind} source needs {key}.");
        if (!plan.TakesFullEvery && source.FullEvery != null)
            map.Problems.Add(map.Raw("fullEvery"), $"{map.Path}.fullEvery",
                $"fullEvery applies to {KindsWhere(p => p.TakesFullEvery)} sources (incremental chains), not {kind}: its backups are always full.");
        if (!plan.TakesPath && source.Path != null)
            map.Problems.Add(map.Raw("path"), $"{map.Path}.path", $"path applies to {KindsWhere(p => p.TakesPath)} sources, not {kind}.");
        foreach (var (key, message) in plan.Validate(source))
            map.Problems.Add(map.Raw(key), $"{map.Path}.{key}", message);
    }

    private static string KindsWhere(Func<PlanEngineSupport, bool> predicate) =>
        string.Join(" and ", EngineRegistry.PlanKinds.Select(EngineRegistry.PlanOf).Where(predicate).Select(p => p.Kind));

    /// <summary>The value of a source key an engine can require.</summary>
    private static object? ValueOf(PlanSource source, string key) => key switch
    {
        "server" => source.Server,
        "port" => source.Port,
        "database" => source.Database,
        "user" => source.User,
        "password" => source.Password,
        "path" => source.Path,
        _ => source.Option(key),
    };

    /// <summary>stop:/start: commands of a source or endpoint; both or neither (a server stopped must come back).</summary>
    private static PlanServiceControl? ReadControl(PlanMap map)
    {
        var (stop, start) = (map.String("stop"), map.String("start"));
        if (stop is null && start is null) return null;
        if (stop is null || start is null)
            map.Problems.Add(map.Node, $"{map.Path}.{(stop is null ? "stop" : "start")}", "stop and start go together: a restore that stops the server must be able to start it again.",
                "stop: systemctl stop redis-server   start: systemctl start redis-server");
        return new PlanServiceControl(stop, start);
    }

    private static PlanHealthCheck? ReadHealthCheck(PlanMap map)
    {
        var check = new PlanHealthCheck(map.String("name", required: true) ?? "", map.String("command"), map.String("http"), map.String("tcp"),
            map.Duration("timeout") ?? TimeSpan.FromSeconds(30));
        map.RejectUnknownKeys();
        if (new[] { check.Command, check.Http, check.Tcp }.Count(x => x != null) != 1)
            map.Problems.Add(map.Node, map.Path, "a health check is exactly one of command, http or tcp.", "command: '…' | http: http://host/health | tcp: host:port");
        return check;
    }

    private static Dictionary<string, PlanSite> ReadSites(PlanMap root, IReadOnlyDictionary<string, PlanTarget> targets, IReadOnlyList<PlanCell> cells)
    {
        var sites = new Dictionary<string, PlanSite>(StringComparer.Ordinal);
        if (root.Map("sites") is not { } map) return sites;
        foreach (var (keyNode, value) in map.Node.Children)
        {
            var name = ((YamlScalarNode)keyNode).Value ?? "";
            map.Raw(name);
            if (value is not YamlMappingNode node) { map.Problems.Add(value, $"sites.{name}", "must be a mapping."); continue; }
            var site = new PlanMap(node, $"sites.{name}", map.Problems);
            var repository = site.String("repository", required: true, "the DR site's repository path/URI");
            var syncFrom = site.String("syncFrom");
            if (syncFrom != null && !targets.ContainsKey(syncFrom))
                map.Problems.Add(site.Raw("syncFrom"), $"sites.{name}.syncFrom", $"'{syncFrom}' is not a target.", string.Join(", ", targets.Keys));
            var endpoints = new Dictionary<string, PlanSiteEndpoint>(StringComparer.Ordinal);
            if (site.Map("endpoints") is { } eps)
                foreach (var (epKey, epValue) in eps.Node.Children)
                {
                    var id = ((YamlScalarNode)epKey).Value ?? "";
                    eps.Raw(id);
                    var parts = id.Split('/');
                    if (parts.Length != 2 || !cells.Any(c => c.Name == parts[0] && c.Sources.Any(s => s.Name == parts[1])))
                        map.Problems.Add(epKey, $"sites.{name}.endpoints.{id}", "is not a <cell>/<source> of this plan.",
                            string.Join(", ", cells.SelectMany(c => c.Sources.Select(s => $"{c.Name}/{s.Name}"))));
                    if (epValue is not YamlMappingNode epNode) { map.Problems.Add(epValue, $"sites.{name}.endpoints.{id}", "must be a mapping."); continue; }
                    var ep = new PlanMap(epNode, $"sites.{name}.endpoints.{id}", map.Problems);
                    endpoints[id] = new PlanSiteEndpoint(ep.String("server"), ep.Int("port", 1, 65535), ep.String("path"), ep.String("user"), ep.Secret("password"), ReadControl(ep));
                    ep.RejectUnknownKeys();
                }
            var traffic = site.String("trafficSwitch");
            var failback = site.String("failbackSwitch");
            site.RejectUnknownKeys();
            if (repository != null) sites[name] = new PlanSite(name, repository, syncFrom, endpoints, traffic, failback);
        }
        return sites;
    }
}
