using System.Text.Json.Nodes;
using BackupTools.Core.Engines.RabbitMq;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;
using BackupTools.Tests.RabbitMq;
using Xunit;

namespace BackupTools.Tests.Engines;

/// <summary>
/// RabbitMQ definitions of one vhost against the conformance suite, on the test broker. The import adds and updates but
/// never deletes, so the change a restore must undo is an update: a policy and a parameter rewritten after the backup.
/// </summary>
[Collection("servers")]
public sealed class RabbitMqConformanceTests : EngineConformanceTests
{
    private readonly string _vhost = "conf-" + Guid.NewGuid().ToString("N")[..8];

    public RabbitMqConformanceTests()
    {
        RabbitMqBroker.Put($"api/vhosts/{V}", "{}");
        RabbitMqBroker.Put($"api/policies/{V}/ttl", """{"pattern":"^orders","definition":{"message-ttl":60000},"priority":1,"apply-to":"queues"}""");
        RabbitMqBroker.Put($"api/parameters/federation-upstream/{V}/upstream-a", """{"value":{"uri":"amqp://127.0.0.1:1","expires":3600000}}""");
        RabbitMqBroker.Put($"api/exchanges/{V}/orders-x", """{"type":"topic","durable":true,"auto_delete":false,"arguments":{}}""");
        for (var i = 0; i < 20; i++) RabbitMqBroker.Put($"api/queues/{V}/orders-{i}", """{"durable":true,"arguments":{"x-max-length":1000}}""");
    }

    private string V => Uri.EscapeDataString(_vhost);
    private RabbitMqTarget Target => RabbitMqTarget.From(RabbitMqBroker.Url, RabbitMqBroker.User, RabbitMqBroker.Password, _vhost);

    protected override string Engine => RabbitMqBackupOperation.EngineName;
    protected override string? Secret => RabbitMqBroker.Password;
    protected override RestoreTestTarget RestoreTestTarget => new(RabbitMqBroker.Url, null, null, RabbitMqBroker.User, RabbitMqBroker.Password, null);

    protected override BackupRecord Backup(IOperationObserver observer, CancellationToken cancel) =>
        new RabbitMqBackupOperation(observer).Run(new RabbitMqBackupRequest(new RepositoryReference(Repo), Target, "broker", null, Keys, LockTimeout), cancel);

    protected override string Fingerprint()
    {
        var definitions = JsonNode.Parse(RabbitMqBroker.Get($"api/definitions/{V}").Body)!;
        string Names(string kind, string field) => string.Join(",", definitions[kind]!.AsArray().Select(n => $"{n!["name"]}={n[field]?.ToJsonString()}").Order(StringComparer.Ordinal));
        return $"{Names("policies", "definition")}\n{Names("parameters", "value")}\n{Names("queues", "arguments")}\n{Names("exchanges", "type")}";
    }

    protected override void Change()
    {
        RabbitMqBroker.Put($"api/policies/{V}/ttl", """{"pattern":"^orders","definition":{"message-ttl":1000},"priority":2,"apply-to":"queues"}""");
        RabbitMqBroker.Put($"api/parameters/federation-upstream/{V}/upstream-a", """{"value":{"uri":"amqp://127.0.0.1:2","expires":60000}}""");
    }

    protected override Func<string, Func<string, string, bool>, string?> Restore => (id, shouldProcess) =>
        new RabbitMqRestoreOperation(Observer).Run(new RabbitMqRestoreRequest(new RepositoryReference(Repo), id, Target, false, Keys, LockTimeout, shouldProcess),
            CancellationToken.None)?.SafetyBackupId;

    public override void Dispose()
    {
        RabbitMqBroker.Delete($"api/vhosts/{V}");
        base.Dispose();
    }
}
