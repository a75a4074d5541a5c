using System.Diagnostics;
using BackupTools.Core.Keys;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.RabbitMq;

/// <summary>
/// The restore test of a definitions backup: its vhost-scoped objects (policies, parameters, exchanges, queues,
/// bindings — of every vhost of a broker backup, or of the one vhost) are imported into a new throwaway vhost,
/// compared object by object, and the vhost is deleted. Users, permissions and global parameters are broker-wide and
/// are not imported by a test (they would change the live broker).
/// </summary>
public static class RabbitMqThrowawayVhost
{
    public sealed record Outcome(int Objects, TimeSpan Duration, IReadOnlyList<string> Differences);

    public static Outcome Run(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys, RabbitMqTarget broker, CancellationToken cancel)
    {
        var definitions = RabbitMqRestoreOperation.Load(repository, manifest, keys);
        var vhost = $"bt-test-{Guid.NewGuid():N}"[..20];
        var scoped = RabbitMqDefinitions.Retarget(VhostScoped(definitions), vhost);
        var clock = Stopwatch.StartNew();
        using var api = new RabbitMqApi(broker);
        var path = "api/vhosts/" + Uri.EscapeDataString(vhost);
        api.Put(path, "{}"u8.ToArray(), cancel);
        try
        {
            var definitionsPath = RabbitMqApi.DefinitionsPath(vhost);
            api.Post(definitionsPath, System.Text.Encoding.UTF8.GetBytes(scoped.ToJsonString()), cancel);
            var differences = RabbitMqDefinitions.Differences(scoped, api.GetObject(definitionsPath, cancel));
            return new Outcome(RabbitMqDefinitions.Counts(scoped).Values.Sum(), clock.Elapsed, differences);
        }
        finally
        {
            api.Delete(path, CancellationToken.None);
        }
    }

    /// <summary>
    /// The vhost-scoped kinds only, each object naming the throwaway vhost later. A broker backup's objects of several
    /// vhosts with the same name would collide in one vhost; the first of each name is kept.
    /// </summary>
    private static System.Text.Json.Nodes.JsonObject VhostScoped(System.Text.Json.Nodes.JsonObject definitions)
    {
        var result = new System.Text.Json.Nodes.JsonObject();
        foreach (var kind in new[] { "parameters", "policies", "queues", "exchanges", "bindings" })
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var items = new System.Text.Json.Nodes.JsonArray();
            foreach (var (_, value) in RabbitMqDefinitions.Objects(definitions, kind))
            {
                var copy = (System.Text.Json.Nodes.JsonObject)value.DeepClone();
                // The per-vhost export names the vhost on policies and parameters only; compare like with like.
                if (kind is "parameters" or "policies") copy["vhost"] = ""; else copy.Remove("vhost");
                if (seen.Add(RabbitMqDefinitions.NameOf(kind, copy))) items.Add(copy);
            }
            result[kind] = items;
        }
        return result;
    }
}
