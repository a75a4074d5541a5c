using System.Management.Automation;
using System.Text.Json;
using BackupTools.Core.Engines.RabbitMq;
using BackupTools.Tests.Cells;

namespace BackupTools.Tests.RabbitMq;

/// <summary>Backup-/Restore-RabbitMqDefinitions against a real broker (Debian's rabbitmq-server, started by scripts/rabbitmq.sh).</summary>
[Collection("servers")]
public sealed class RabbitMqDefinitionsTests : CellTestBase
{
    private readonly string _vhost = "shop-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _user = "alice-" + Guid.NewGuid().ToString("N")[..8];
    private const string UserPassword = "Al1ce-pass ✓";

    private static PSCredential Admin => new(RabbitMqBroker.User, new System.Net.NetworkCredential("", RabbitMqBroker.Password).SecurePassword);
    private string V => Uri.EscapeDataString(_vhost);

    /// <summary>One object of every kind: vhost, user, permissions, topic permissions, policy, vhost and global parameters, exchange, queue, binding.</summary>
    private void Seed()
    {
        RabbitMqBroker.Put($"api/vhosts/{V}", "{}");
        RabbitMqBroker.Put($"api/users/{_user}", JsonSerializer.Serialize(new { password = UserPassword, tags = "monitoring" }));
        RabbitMqBroker.Put($"api/permissions/{V}/{_user}", """{"configure":"^orders.*","write":".*","read":".*"}""");
        RabbitMqBroker.Put($"api/topic-permissions/{V}/{_user}", """{"exchange":"amq.topic","write":"^orders\\.","read":".*"}""");
        RabbitMqBroker.Put($"api/policies/{V}/ttl", """{"pattern":"^orders","definition":{"message-ttl":60000},"priority":1,"apply-to":"queues"}""");
        RabbitMqBroker.Put($"api/parameters/federation-upstream/{V}/upstream-a", """{"value":{"uri":"amqp://127.0.0.1:1","expires":3600000}}""");
        RabbitMqBroker.Put($"api/global-parameters/bt-test-{_user}", """{"value":{"owner":"backup-tests"}}""");
        RabbitMqBroker.Put($"api/exchanges/{V}/orders-x", """{"type":"topic","durable":true,"auto_delete":false,"arguments":{"alternate-exchange":"amq.fanout"}}""");
        RabbitMqBroker.Put($"api/queues/{V}/orders", """{"durable":true,"arguments":{"x-max-length":1000,"x-queue-type":"classic"}}""");
        RabbitMqBroker.Post($"api/bindings/{V}/e/orders-x/q/orders", """{"routing_key":"order.*","arguments":{"x-note":"b1"}}""");
        RabbitMqBroker.Post($"api/exchanges/{V}/amq.default/publish", """{"properties":{},"routing_key":"orders","payload":"a message","payload_encoding":"string"}""");
    }

    private void Wipe()
    {
        RabbitMqBroker.Delete($"api/vhosts/{V}");
        RabbitMqBroker.Delete($"api/users/{_user}");
        RabbitMqBroker.Delete($"api/global-parameters/bt-test-{_user}");
    }

    [Fact]
    public void Every_object_kind_round_trips_and_the_users_password_still_works()
    {
        InitRepoWithKey(createCell: false);
        Seed();
        var record = Run("Backup-RabbitMqDefinitions -ManagementUrl $url -Credential $admin -Repository $repo -KeyFile $key", ("url", RabbitMqBroker.Url), ("admin", Admin))
            .AssertNoErrors().Single<BackupRecord>();
        Assert.Equal("rabbitmq", record.Engine);
        Assert.Equal(RabbitMqBackupOperation.MessagesNote, record.EngineInfo["messages"]);
        var objects = (IReadOnlyDictionary<string, object?>)record.EngineInfo["objects"]!;
        foreach (var kind in RabbitMqDefinitions.Kinds) Assert.True((long)objects[kind]! >= 1, $"no {kind} in the backup");
        Assert.All(Directory.EnumerateFiles(Repo, "*", SearchOption.AllDirectories), f => Assert.DoesNotContain(RabbitMqBroker.Password, File.ReadAllText(f)));

        Wipe();
        Assert.Equal(401, RabbitMqBroker.Get("api/whoami", _user, UserPassword).Status);
        var restored = Run("Restore-RabbitMqDefinitions -Id $id -ManagementUrl $url -Credential $admin -Repository $repo -KeyFile $key -Confirm:$false",
            ("id", record.Id), ("url", RabbitMqBroker.Url), ("admin", Admin)).AssertNoErrors().Single<RabbitMqRestoreResult>();
        Assert.Contains("all present and equal", restored.Verification);

        // The user logs in with the same password: its hash came back, not a new one.
        Assert.Equal(200, RabbitMqBroker.Get("api/whoami", _user, UserPassword).Status);
        Assert.Contains("\"x-max-length\":1000", RabbitMqBroker.Get($"api/queues/{V}/orders").Body);
        Assert.Contains("order.*", RabbitMqBroker.Get($"api/bindings/{V}/e/orders-x/q/orders").Body);
        Assert.Contains("upstream-a", RabbitMqBroker.Get($"api/parameters/federation-upstream/{V}").Body);
        Assert.Contains("^orders\\\\.", RabbitMqBroker.Get($"api/topic-permissions/{V}/{_user}").Body);
        // Messages are not definitions: the queue is back, empty.
        Assert.Contains("\"messages\":0", WaitForStats($"api/queues/{V}/orders"));

        // The safety export holds the broker as it was just before: without the user.
        var safety = Run("Get-Backup -Repository $repo -Id $id", ("id", restored.SafetyBackupId)).AssertNoErrors().Single<BackupRecord>();
        Assert.Equal("safety-before-restore", safety.Tags["reason"]);
        Assert.Equal((long)objects["users"]! - 1, (long)((IReadOnlyDictionary<string, object?>)safety.EngineInfo["objects"]!)["users"]!);
        Wipe();
    }

    [Fact]
    public void A_vhost_backup_restores_into_a_throwaway_vhost_and_is_proven_object_by_object()
    {
        InitRepoWithKey(createCell: false);
        Seed();
        var record = Run("Backup-RabbitMqDefinitions -ManagementUrl $url -Credential $admin -Vhost $v -Repository $repo -KeyFile $key", ("url", RabbitMqBroker.Url), ("admin", Admin), ("v", _vhost))
            .AssertNoErrors().Single<BackupRecord>();
        Assert.Equal("vhost", record.EngineInfo["scope"]);
        var copy = _vhost + "-copy";
        try
        {
            var restored = Run("Restore-RabbitMqDefinitions -Id $id -ManagementUrl $url -Credential $admin -Vhost $v -Repository $repo -KeyFile $key -Confirm:$false",
                ("id", record.Id), ("url", RabbitMqBroker.Url), ("admin", Admin), ("v", copy)).AssertNoErrors().Single<RabbitMqRestoreResult>();
            Assert.Equal(copy, restored.Vhost);
            Assert.Contains("all present and equal", restored.Verification);
            Assert.Contains("\"x-max-length\":1000", RabbitMqBroker.Get($"api/queues/{Uri.EscapeDataString(copy)}/orders").Body);
            Assert.Contains("order.*", RabbitMqBroker.Get($"api/bindings/{Uri.EscapeDataString(copy)}/e/orders-x/q/orders").Body);

            // The whole-broker scope cannot be squeezed into one vhost.
            var broker = Run("Backup-RabbitMqDefinitions -ManagementUrl $url -Credential $admin -Repository $repo -KeyFile $key", ("url", RabbitMqBroker.Url), ("admin", Admin)).AssertNoErrors().Single<BackupRecord>();
            Run("Restore-RabbitMqDefinitions -Id $id -ManagementUrl $url -Credential $admin -Vhost $v -Repository $repo -KeyFile $key -Confirm:$false",
                ("id", broker.Id), ("url", RabbitMqBroker.Url), ("admin", Admin), ("v", copy)).AssertError("RabbitMqRestoreScope");
        }
        finally
        {
            RabbitMqBroker.Delete($"api/vhosts/{Uri.EscapeDataString(copy)}");
            Wipe();
        }
    }

    [Fact]
    public void Restore_test_imports_a_broker_backup_into_a_throwaway_vhost_proves_it_and_removes_the_vhost()
    {
        InitRepoWithKey(createCell: false);
        Seed();
        try
        {
            var record = Run("Backup-RabbitMqDefinitions -ManagementUrl $url -Credential $admin -Repository $repo -KeyFile $key | Test-BackupIntegrity -KeyFile $key", ("url", RabbitMqBroker.Url), ("admin", Admin))
                .AssertNoErrors().Single<IntegrityResult>();
            Assert.True(record.Passed, string.Join("; ", record.Checks));
            var repository = Core.Repository.BackupRepository.Open(new Core.Storage.LocalBackupStore(Repo));
            var keys = Core.Keys.BackupKeyRing.Load(new Core.Keys.KeySources([KeyPath], [], false));
            var outcome = RabbitMqThrowawayVhost.Run(repository, repository.GetManifest(record.Id), keys,
                RabbitMqTarget.From(RabbitMqBroker.Url, RabbitMqBroker.User, RabbitMqBroker.Password, null), CancellationToken.None);
            Assert.Empty(outcome.Differences);
            Assert.True(outcome.Objects >= 5, $"{outcome.Objects} objects tested");
            Assert.DoesNotContain("bt-test-", RabbitMqBroker.Get("api/vhosts").Body);
        }
        finally
        {
            Wipe();
        }
    }

    [Fact]
    public void Wrong_credentials_are_a_clear_error_without_the_password()
    {
        InitRepoWithKey(createCell: false);
        var wrong = new PSCredential(RabbitMqBroker.User, new System.Net.NetworkCredential("", "not-the-Password-1").SecurePassword);
        var error = Run("Backup-RabbitMqDefinitions -ManagementUrl $url -Credential $c -Repository $repo -KeyFile $key", ("url", RabbitMqBroker.Url), ("c", wrong))
            .AssertError("RabbitMqAuthenticationFailed");
        Assert.DoesNotContain("not-the-Password-1", error.Exception.Message);
    }

    /// <summary>Queue stats arrive with the management plugin's next sample; wait until the field is there.</summary>
    private static string WaitForStats(string path)
    {
        for (var i = 0; i < 40; i++)
        {
            var body = RabbitMqBroker.Get(path).Body;
            if (body.Contains("\"messages\":")) return body;
            Thread.Sleep(250);
        }
        return RabbitMqBroker.Get(path).Body;
    }
}
