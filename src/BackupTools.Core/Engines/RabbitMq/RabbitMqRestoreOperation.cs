using System.Diagnostics;
using System.Text.Json.Nodes;
using BackupTools.Core.Audit;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.RabbitMq;

/// <summary>
/// Restores definitions into a broker: a safety export of what the broker (or vhost) has now, then the import, then
/// the proof — the broker's definitions read back and compared with the backup's, object by object; any object
/// missing or different is named. The import adds and updates; it does not delete objects the backup lacks.
/// </summary>
public sealed class RabbitMqRestoreOperation(IOperationObserver observer)
{
    public RabbitMqRestoreResult? Run(RabbitMqRestoreRequest request, CancellationToken cancel) =>
        OperationAudit.Run(request.Repository, new AuditSubject("restore", null, RabbitMqBackupOperation.EngineName, request.Target.Describe()), observer,
            opened => RunUnaudited(opened, request, cancel),
            r => r is null ? null : new AuditOutcome(r.SafetyBackupId is { } s ? [r.RestoredId, s] : [r.RestoredId], $"definitions restored into {r.Broker}"));

    private RabbitMqRestoreResult? RunUnaudited(OperationRepository opened, RabbitMqRestoreRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var repository = opened.Get();
        var manifest = repository.GetManifest(request.Id);
        if (manifest.Engine != RabbitMqBackupOperation.EngineName)
            throw new BackupInputException("RestoreWrongEngine", "Id", $"backup {manifest.Id} is a {manifest.Engine} backup, not RabbitMQ definitions.", "Use the Restore- cmdlet for that engine.");
        var definitions = Load(repository, manifest, request.Keys);
        var backedUpVhost = manifest.EngineInfo?["vhost"]?.GetValue<string>();
        var target = request.Target;
        if (backedUpVhost is null && target.Vhost != null)
            throw new BackupInputException("RabbitMqRestoreScope", "Vhost", $"backup {manifest.Id} holds the whole broker's definitions; -Vhost restores a per-vhost backup.",
                "Drop -Vhost to restore the whole broker, or back up one vhost with Backup-RabbitMqDefinitions -Vhost.");
        if (backedUpVhost != null && target.Vhost is null) target = target with { Vhost = backedUpVhost };
        if (backedUpVhost != null && target.Vhost != backedUpVhost) definitions = RabbitMqDefinitions.Retarget(definitions, target.Vhost!);
        var counts = RabbitMqDefinitions.Counts(definitions);
        if (!request.ShouldProcess(target.Describe(), $"Import the definitions of backup {manifest.Id} ({manifest.CompletedAt:u}: {string.Join(", ", counts.Where(c => c.Value > 0).Select(c => $"{c.Value} {c.Key}"))})"))
            return null;

        using var api = new RabbitMqApi(target);
        if (target.Vhost != null) EnsureVhost(api, target.Vhost, cancel);
        string? safetyId = null;
        if (!request.SkipSafetyBackup) safetyId = TakeSafetyBackup(repository, request, target, manifest.Id, cancel);
        else observer.Warning($"-SkipSafetyBackup: the definitions of {target} are changed without a safety export.");

        var path = RabbitMqApi.DefinitionsPath(target.Vhost);
        api.Post(path, System.Text.Encoding.UTF8.GetBytes(definitions.ToJsonString()), cancel);
        var verification = Prove(api, path, definitions, target, safetyId, cancel);
        return new RabbitMqRestoreResult
        {
            RestoredId = manifest.Id,
            RestoredPointInTime = manifest.CompletedAt,
            Broker = target.ManagementUrl.GetLeftPart(UriPartial.Authority),
            Vhost = target.Vhost,
            Objects = counts,
            SafetyBackupId = safetyId,
            SafetyBackupSkipped = request.SkipSafetyBackup,
            Verification = verification,
            Duration = clock.Elapsed,
        };
    }

    public static JsonObject Load(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys)
    {
        using var data = repository.OpenObject(manifest, BackupManifest.DataRole, keys);
        using var buffer = new MemoryStream();
        data.CopyTo(buffer);
        data.VerifyToEnd();
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(buffer.ToArray()) as JsonObject
                ?? throw new BackupIntegrityException("RabbitMqDefinitionsInvalid", $"backup {manifest.Id} does not hold a definitions object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new BackupIntegrityException("RabbitMqDefinitionsInvalid", $"backup {manifest.Id} is not valid JSON: {e.Message}", inner: e);
        }
    }

    private static void EnsureVhost(RabbitMqApi api, string vhost, CancellationToken cancel) =>
        api.Put("api/vhosts/" + Uri.EscapeDataString(vhost), "{}"u8.ToArray(), cancel);

    private string TakeSafetyBackup(BackupRepository repository, RabbitMqRestoreRequest request, RabbitMqTarget target, string restoringId, CancellationToken cancel)
    {
        observer.Verbose($"Exporting the current definitions of {target} as a safety backup.");
        using var writerLock = WriterLock.AcquireShared(repository, $"Restore-RabbitMqDefinitions {target} safety export", request.LockTimeout, cancel);
        return new RabbitMqBackupOperation(observer).RunLocked(repository,
            new RabbitMqBackupRequest(request.Repository, target, null, null, request.Keys, request.LockTimeout, SafetyBackup.Tags(restoringId)), cancel).Id;
    }

    private static string Prove(RabbitMqApi api, string path, JsonObject expected, RabbitMqTarget target, string? safetyId, CancellationToken cancel)
    {
        var actual = api.GetObject(path, cancel);
        var differences = RabbitMqDefinitions.Differences(expected, actual);
        if (differences.Count > 0)
            throw new BackupIntegrityException("RabbitMqRestoreVerificationFailed",
                $"After the import, {target} differs from the backup in {differences.Count} object(s): {string.Join("; ", differences.Take(10))}.",
                safetyId is null ? "Check the broker log; import the backup again." : $"Check the broker log; the definitions before the restore are in safety backup {safetyId}.");
        var total = RabbitMqDefinitions.Counts(expected).Values.Sum();
        return $"{total} objects compared with the broker one by one; all present and equal";
    }
}
