using System.Text.Json.Nodes;
using BackupTools.Core.Audit;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Pipeline.Compression;
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
    public const string MessagesNote = "definitions only: messages in queues are not backed up";

    public BackupRecord Run(RabbitMqBackupRequest request, CancellationToken cancel) =>
        OperationAudit.Run(request.Repository, new AuditSubject("backup", request.Cell, EngineName, request.Target.Describe()), observer, opened =>
        {
            var repository = opened.Get();
            using var writerLock = WriterLock.Acquire(repository, $"Backup-RabbitMqDefinitions {request.Target}", request.LockTimeout, cancel);
            RepositorySweeper.Sweep(repository, observer);
            return RunLocked(repository, request, cancel);
        }, r => new AuditOutcome([r.Id], $"{r.RawBytes} bytes"));

    /// <summary>For callers that hold the writer lock already (a restore's safety export).</summary>
    public BackupRecord RunLocked(BackupRepository repository, RabbitMqBackupRequest request, CancellationToken cancel)
    {
        var target = request.Target;
        using var api = new RabbitMqApi(target);
        var overview = api.GetObject("api/overview", cancel);
        var bytes = api.Get(RabbitMqApi.DefinitionsPath(target.Vhost), cancel);
        var definitions = JsonNode.Parse(bytes) as JsonObject
            ?? throw new BackupToolsException("RabbitMqApiFailed", FailureKind.ExternalToolFailure, $"RabbitMQ at {target} returned definitions that are not a JSON object.");
        var compression = request.Compression ?? CompressionSettings.Parse(repository.Config.Defaults.Compression, repository.Config.Defaults.CompressionLevel);
        var plan = new BackupPlan(request.Cell ?? target.DefaultCell(), target.Describe(), EngineName, BackupKind.Full, null, compression,
            new Dictionary<string, string>(request.Tags ?? new Dictionary<string, string>()));
        using var writer = repository.BeginBackup(plan, request.Keys);
        using (var data = writer.OpenObject(BackupManifest.DataRole))
        {
            data.Write(bytes);
            data.Complete();
        }
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
        return repository.ToRecord(writer.Complete(facts));
    }
}
