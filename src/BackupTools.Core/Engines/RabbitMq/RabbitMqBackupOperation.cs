using System.Text.Json.Nodes;
using BackupTools.Core.Audit;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.RabbitMq;

/// <summary>
/// Backs up a RabbitMQ broker's definitions — users with their password hashes, vhosts, permissions, topic
/// permissions, parameters, policies, exchanges, queues, bindings — through the management API, for the whole broker
/// or one vhost. Messages are not definitions: they are not in this backup (the manifest says so).
/// </summary>
public sealed class RabbitMqBackupOperation(IOperationObserver observer)
{
    public const string EngineName = "rabbitmq";
    private const string Activity = "Backup-RabbitMqDefinitions";
    public const string MessagesNote = "definitions only: messages in queues are not backed up";

    private BackupTemplate Template => new(observer);

    public BackupRecord Run(RabbitMqBackupRequest request, CancellationToken cancel) =>
        Template.Audited(request.Repository, new AuditSubject("backup", request.Cell, EngineName, request.Target.Describe()), opened =>
            Template.Locked(opened, $"Backup-RabbitMqDefinitions {request.Target}", request.LockTimeout, cancel, repository => RunLocked(repository, request, cancel)));

    /// <summary>For callers that hold the writer lock already (a restore's safety export).</summary>
    public BackupRecord RunLocked(BackupRepository repository, RabbitMqBackupRequest request, CancellationToken cancel)
    {
        var target = request.Target;
        using var api = new RabbitMqApi(target);
        var overview = api.GetObject("api/overview", cancel);
        var bytes = api.Get(RabbitMqApi.DefinitionsPath(target.Vhost), cancel);
        var definitions = JsonNode.Parse(bytes) as JsonObject
            ?? throw new BackupToolsException("RabbitMqApiFailed", FailureKind.ExternalToolFailure, $"RabbitMQ at {target} returned definitions that are not a JSON object.");
        var backup = new StreamBackup(request.Cell ?? target.DefaultCell(), target.Describe(), EngineName, request.Compression, request.Keys, request.Tags,
            Activity, $"{target}: definitions");
        return Template.Write(repository, backup, data => data.Write(bytes), () => Facts(target, overview, definitions), cancel);
    }

    private JsonObject Facts(RabbitMqTarget target, JsonObject overview, JsonObject definitions)
    {
        var counts = new JsonObject();
        foreach (var (kind, count) in RabbitMqDefinitions.Counts(definitions)) counts[kind] = count;
        var facts = new JsonObject
        {
            ["managementUrl"] = target.ManagementUrl.GetLeftPart(UriPartial.Authority),
            ["vhost"] = target.Vhost,
            ["scope"] = target.Vhost is null ? "broker" : "vhost",
            ["rabbitmqVersion"] = overview["rabbitmq_version"]?.DeepClone(),
            ["clusterName"] = overview["cluster_name"]?.DeepClone(),
            ["objects"] = counts,
            ["messages"] = MessagesNote,
        };
        observer.Verbose($"Exported {string.Join(", ", RabbitMqDefinitions.Counts(definitions).Select(c => $"{c.Value} {c.Key}"))} from {target}; messages are not part of definitions.");
        return facts;
    }
}
