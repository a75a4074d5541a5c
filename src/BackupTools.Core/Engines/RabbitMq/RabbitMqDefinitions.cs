using System.Text.Json.Nodes;

namespace BackupTools.Core.Engines.RabbitMq;

/// <summary>
/// A definitions document (the management API's export) seen as named objects: each kind's objects keyed by what
/// names them (a queue by vhost and name, a binding by all of its fields…), so two documents can be compared object
/// by object and every difference named.
/// </summary>
public static class RabbitMqDefinitions
{
    /// <summary>The object kinds of a definitions document, in import order.</summary>
    public static readonly string[] Kinds = ["users", "vhosts", "permissions", "topic_permissions", "parameters", "global_parameters", "policies", "queues", "exchanges", "bindings"];

    /// <summary>Broker-managed values that differ between any two brokers and are not restored.</summary>
    private static readonly HashSet<string> Volatile = ["internal_cluster_id"];

    public static IReadOnlyDictionary<string, int> Counts(JsonObject definitions) =>
        Kinds.ToDictionary(k => k, k => Objects(definitions, k).Count());

    /// <summary>"queue 'orders' in vhost 'shop'"-style name → the object, for one kind.</summary>
    public static IEnumerable<(string Name, JsonObject Value)> Objects(JsonObject definitions, string kind)
    {
        if (definitions[kind] is not JsonArray items) yield break;
        foreach (var item in items.OfType<JsonObject>())
        {
            if (kind == "global_parameters" && Volatile.Contains(Str(item, "name"))) continue;
            yield return (NameOf(kind, item), item);
        }
    }

    public static string NameOf(string kind, JsonObject o) => kind switch
    {
        "users" => $"user '{Str(o, "name")}'",
        "vhosts" => $"vhost '{Str(o, "name")}'",
        "permissions" => $"permissions of '{Str(o, "user")}' on vhost '{Str(o, "vhost")}'",
        "topic_permissions" => $"topic permissions of '{Str(o, "user")}' on vhost '{Str(o, "vhost")}' exchange '{Str(o, "exchange")}'",
        "parameters" => $"parameter {Str(o, "component")} '{Str(o, "name")}' in vhost '{Str(o, "vhost")}'",
        "global_parameters" => $"global parameter '{Str(o, "name")}'",
        "policies" => $"policy '{Str(o, "name")}' in vhost '{Str(o, "vhost")}'",
        "queues" => $"queue '{Str(o, "name")}' in vhost '{Str(o, "vhost")}'",
        "exchanges" => $"exchange '{Str(o, "name")}' in vhost '{Str(o, "vhost")}'",
        "bindings" => $"binding {Str(o, "source")} → {Str(o, "destination_type")} {Str(o, "destination")} key '{Str(o, "routing_key")}' {o["arguments"]?.ToJsonString()} in vhost '{Str(o, "vhost")}'",
        _ => $"{kind} {o.ToJsonString()}",
    };

    /// <summary>
    /// Every object of <paramref name="expected"/> that <paramref name="actual"/> lacks or holds with other values,
    /// named. Objects only in <paramref name="actual"/> are not differences: an import adds and updates, never removes.
    /// </summary>
    public static List<string> Differences(JsonObject expected, JsonObject actual)
    {
        var differences = new List<string>();
        foreach (var kind in Kinds)
        {
            var have = new Dictionary<string, JsonObject>();
            foreach (var (name, value) in Objects(actual, kind)) have.TryAdd(name, value);
            foreach (var (name, value) in Objects(expected, kind))
            {
                if (!have.TryGetValue(name, out var found)) differences.Add($"{name} is missing");
                else if (!JsonNode.DeepEquals(Normalize(value), Normalize(found))) differences.Add($"{name} differs: backup {value.ToJsonString()}, broker {found.ToJsonString()}");
            }
        }
        return differences;
    }

    /// <summary>
    /// A per-vhost document moved to another vhost: the vhost-scoped objects that name their vhost (the per-vhost export
    /// keeps it on policies and parameters) name the target instead, so the import puts them there too.
    /// </summary>
    public static JsonObject Retarget(JsonObject definitions, string toVhost)
    {
        var copy = (JsonObject)definitions.DeepClone();
        foreach (var kind in new[] { "parameters", "policies", "queues", "exchanges", "bindings" })
            if (copy[kind] is JsonArray items)
                foreach (var item in items.OfType<JsonObject>())
                    if (item.ContainsKey("vhost")) item["vhost"] = toVhost;
        return copy;
    }

    /// <summary>Arrays whose order the broker does not keep (user tags) are compared sorted.</summary>
    private static JsonNode Normalize(JsonObject o)
    {
        var copy = (JsonObject)o.DeepClone();
        if (copy["tags"] is JsonArray tags)
            copy["tags"] = new JsonArray(tags.Select(t => t?.ToJsonString()).Order(StringComparer.Ordinal).Select(t => JsonNode.Parse(t!)).ToArray());
        return copy;
    }

    private static string Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : o[name]?.ToJsonString() ?? "";
}
