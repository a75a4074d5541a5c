using BackupTools.Core.Audit;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Engines.Redis.Rdb;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// Backs up a Redis server's dataset as one RDB snapshot, streamed straight into the repository: by default
/// fetched over the replication protocol (no access to the server's disk needed), or with -Mode LocalFile
/// from the dump file a fresh BGSAVE wrote. The snapshot is walked while it streams, so a transfer that
/// breaks off or a file that is not a whole RDB never becomes a backup, and the manifest records the exact
/// key count of every database in the snapshot.
/// </summary>
public sealed class RedisBackupOperation(IOperationObserver observer)
{
    private BackupTemplate Template => new(observer);
    public const string EngineName = "redis";
    private const string Activity = "Backup-RedisRdb";

    public BackupRecord Run(RedisBackupRequest request, CancellationToken cancel) =>
        Template.Audited(request.Repository, new AuditSubject("backup", request.Cell, EngineName, request.Target.ToString()),
            opened => Template.Locked(opened, $"Backup-RedisRdb {request.Target.Host}:{request.Target.Port}", request.LockTimeout, cancel,
                repository => RunLocked(repository, request, cancel)));

    /// <summary>For callers that hold the writer lock already (a restore's safety backup).</summary>
    public BackupRecord RunLocked(BackupRepository repository, RedisBackupRequest request, CancellationToken cancel)
    {
        var target = request.Target;
        var backup = new StreamBackup(request.Cell ?? target.DefaultCell(), target.Describe(), EngineName, request.Compression, request.Keys,
            new Dictionary<string, string>(request.Tags ?? new Dictionary<string, string>()), Activity, $"{target}: snapshot");
        var facts = new JsonObject { ["mode"] = request.Mode == RedisBackupMode.Replication ? "replication" : "local-file" };
        // Replication: ask INFO on a second connection while the snapshot streams, so connecting costs no wall time.
        var inspection = request.Mode == RedisBackupMode.Replication ? Task.Run(() => Inspect(target), cancel) : null;
        using var localInspector = request.Mode == RedisBackupMode.LocalFile ? RedisInspector.Open(target) : null;
        if (localInspector != null) AddServerFacts(facts, localInspector);

        var clock = Stopwatch.StartNew();
        RdbSummary? summary = null;
        return Template.Write(repository, backup, sink => summary = request.Mode == RedisBackupMode.Replication
            ? FromReplication(target, sink, facts, cancel)
            : FromLocalFile(localInspector!, request, sink, facts, cancel), () => SnapshotFacts(facts, summary!, inspection, target, clock.Elapsed), cancel);
    }

    private JsonObject SnapshotFacts(JsonObject facts, RdbSummary summary, Task<JsonObject>? inspection, RedisTarget target, TimeSpan transfer)
    {
        if (inspection != null)
        {
            try { foreach (var (name, value) in inspection.GetAwaiter().GetResult()) facts[name] = value?.DeepClone(); }
            catch (BackupToolsException e) { observer.Warning($"Snapshot taken, but INFO from {target} failed ({e.Message}); server facts are missing from the manifest."); }
        }
        facts["rdbVersion"] = summary.Version;
        facts["rdbBytes"] = summary.Bytes;
        facts["rdbChecksum"] = summary.ChecksumPresent ? summary.StoredChecksum.ToString("x16") : null;
        facts["snapshotTime"] = summary.Aux.TryGetValue("ctime", out var ctime) && long.TryParse(ctime, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("o", CultureInfo.InvariantCulture) : null;
        facts["databaseCount"] = summary.Databases.Count;
        facts["keys"] = summary.Keys;
        facts["databases"] = ToJson(summary.Databases);
        facts["transferSeconds"] = Math.Round(transfer.TotalSeconds, 3);
        return facts;
    }

    private static JsonObject Inspect(RedisTarget target)
    {
        var facts = new JsonObject();
        using var inspector = RedisInspector.Open(target);
        AddServerFacts(facts, inspector);
        return facts;
    }

    private static void AddServerFacts(JsonObject facts, RedisInspector inspector)
    {
        var server = inspector.Info("server");
        var memory = inspector.Info("memory");
        facts["serverVersion"] = server.GetValueOrDefault("redis_version");
        facts["redisMode"] = server.GetValueOrDefault("redis_mode");
        facts["usedMemory"] = long.TryParse(memory.GetValueOrDefault("used_memory"), out var used) ? used : null;
        facts["usedMemoryHuman"] = memory.GetValueOrDefault("used_memory_human");
    }

    private RdbSummary FromReplication(RedisTarget target, Stream sink, JsonObject facts, CancellationToken cancel)
    {
        observer.Verbose($"Requesting a snapshot from {target} over the replication protocol (SYNC).");
        try
        {
            using var transfer = RedisReplicationClient.Start(target, TimeSpan.FromMinutes(10), cancel);
            facts["transfer"] = transfer.Diskless ? "diskless" : "disk";
            var summary = Walk(transfer.Payload, sink, $"the snapshot {target} sent", cancel);
            if (transfer.Length is { } announced && announced != summary.Bytes)
                throw new BackupToolsException("RedisSnapshotInvalid", FailureKind.InvalidData, $"{target} announced {announced} bytes but the RDB inside is {summary.Bytes}; nothing was recorded.");
            return summary;
        }
        catch (Exception e) when (e is not BackupToolsException and not OperationCanceledException || (e is OperationCanceledException && !cancel.IsCancellationRequested))
        {
            throw RedisErrors.Map(e, target);
        }
    }

    private RdbSummary FromLocalFile(RedisInspector inspector, RedisBackupRequest request, Stream sink, JsonObject facts, CancellationToken cancel)
    {
        var path = request.RdbPath ?? RedisServerFiles.DumpPath(inspector);
        if (!System.IO.Directory.Exists(Path.GetDirectoryName(path)))
            throw new BackupToolsException("RedisRdbFileNotFound", FailureKind.NotFound,
                $"The server's data directory '{Path.GetDirectoryName(path)}' does not exist on this machine.", "Run Backup-RedisRdb where the server's disk is, pass -RdbPath, or use the default replication mode.");
        var saved = new RedisBackgroundSave(inspector, observer).SaveAndWait(request.SaveTimeout, cancel);
        facts["lastSave"] = DateTimeOffset.FromUnixTimeSeconds(saved).ToString("o", CultureInfo.InvariantCulture);
        facts["rdbPath"] = path;
        FileStream file;
        try
        {
            // The handle pins this snapshot even if a later BGSAVE renames a new file over the name.
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackupToolsException(e is FileNotFoundException ? "RedisRdbFileNotFound" : "RedisRdbFileUnreadable", e is FileNotFoundException ? FailureKind.NotFound : FailureKind.InvalidArgument,
                $"Cannot read the dump file '{path}' ({e.Message}).", "Run as a user that may read the Redis data directory, or use the default replication mode.", e);
        }
        using (file) return Walk(file, sink, $"'{path}'", cancel);
    }

    private static RdbSummary Walk(Stream source, Stream sink, string what, CancellationToken cancel)
    {
        try
        {
            // The walk proves the snapshot whole and counts its keys; the CRC-64 (about 1.5 s of CPU per GB, taken
            // from the server's own fork on a busy host) is left to Test-BackupIntegrity.
            return SnapshotPipe.Run(source, sink, checksum: false, cancel);
        }
        catch (RdbFormatException e)
        {
            throw new BackupToolsException("RedisSnapshotInvalid", FailureKind.InvalidData, $"{what} is not a whole RDB snapshot: it {e.Message} (offset {e.Offset}); nothing was recorded.",
                "Check the server log and run again.", e);
        }
    }

    public static JsonArray ToJson(IEnumerable<RdbDatabase> databases) =>
        new(databases.Select(d => (JsonNode)new JsonObject { ["db"] = d.Index, ["keys"] = d.Keys, ["expires"] = d.Expires }).ToArray());
}
