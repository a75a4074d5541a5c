using BackupTools.Core.Audit;
using System.Text;
using System.Text.Json.Nodes;
using BackupTools.Core.Engines.Directory.Tar;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;
using Microsoft.Win32.SafeHandles;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// Backs up a server's append-only files as one consistent set, in a tar: Redis 7's AOF directory (its
/// manifest plus the base and incremental files it lists) or a single appendonly.aof before 7.0. Every
/// listed file is opened first and the manifest read again: if a rewrite swapped the set meanwhile, it
/// starts over, so the set stored is one the server could have loaded. The last incremental file is taken
/// up to its length at that moment (Redis loads a cut last command with aof-load-truncated, its default).
/// </summary>
public sealed class RedisAofBackupOperation(IOperationObserver observer)
{
    public const string EngineName = "redis-aof";
    private const int Attempts = 5;

    private BackupTemplate Template => new(observer);

    public BackupRecord Run(RedisAofBackupRequest request, CancellationToken cancel) =>
        Template.Audited(request.Repository, new AuditSubject("backup", null, EngineName, request.Target.ToString()), opened => RunUnaudited(opened, request, cancel));

    private BackupRecord RunUnaudited(OperationRepository opened, RedisAofBackupRequest request, CancellationToken cancel)
    {
        var target = request.Target;
        var repository = opened.Get();
        using var inspector = RedisInspector.Open(target);
        var persistence = inspector.Info("persistence");
        if (persistence.GetValueOrDefault("aof_enabled") != "1")
            throw new BackupToolsException("RedisAofDisabled", FailureKind.InvalidArgument, $"{target} does not use an append-only file (appendonly no).", "Back it up with Backup-RedisRdb.");
        var dir = request.Directory ?? inspector.ConfigGet("dir") ?? throw new BackupToolsException("RedisConfigUnavailable", FailureKind.NotFound,
            $"{target} did not report its data directory (CONFIG GET dir).", "Pass -AofDirectory.");
        var aofDir = inspector.ConfigGet("appenddirname") is { Length: > 0 } sub && request.Directory is null ? Path.Combine(dir, sub) : dir;
        var fileName = inspector.ConfigGet("appendfilename") ?? "appendonly.aof";
        if (!System.IO.Directory.Exists(aofDir))
            throw new BackupToolsException("RedisAofDirNotFound", FailureKind.NotFound, $"The AOF directory '{aofDir}' is not on this machine.", "Run Backup-RedisAof on the server's host, or pass -AofDirectory.");
        WaitForRewrite(inspector, request.RewriteTimeout, cancel);

        return Template.Locked(repository, $"Backup-RedisAof {target.Host}:{target.Port}", request.LockTimeout, cancel,
            _ => WriteSet(repository, request, inspector.Info("server"), aofDir, PinSet(aofDir, fileName, cancel), cancel));
    }

    private BackupRecord WriteSet(BackupRepository repository, RedisAofBackupRequest request, IReadOnlyDictionary<string, string> server, string aofDir, PinnedSet set,
        CancellationToken cancel)
    {
        var target = request.Target;
        var backup = new StreamBackup(request.Cell ?? target.DefaultCell(), target.Describe(), EngineName, request.Compression, request.Keys,
            new Dictionary<string, string>(), "Backup-RedisAof", $"{target}: append-only files");
        try
        {
            return Template.Write(repository, backup, data =>
            {
                var tar = new TarWriter(data);
                var now = DateTimeOffset.UtcNow;
                if (set.Manifest != null) tar.WriteBytes(set.ManifestName!, Encoding.UTF8.GetBytes(set.Manifest), 0x1A4, now);
                foreach (var file in set.Files) tar.WriteFile(file.Name, file.Handle, file.Size, 0x1A4, now);
                tar.Finish();
            }, () => new JsonObject
            {
                ["serverVersion"] = server.GetValueOrDefault("redis_version"),
                ["format"] = set.Manifest is null ? "single-file" : "multi-part",
                ["manifestName"] = set.ManifestName,
                ["aofDirectory"] = aofDir,
                ["files"] = new JsonArray(set.Files.Select(f => (JsonNode)new JsonObject { ["name"] = f.Name, ["bytes"] = f.Size }).ToArray()),
                ["attempts"] = set.Attempt,
            }, cancel);
        }
        finally
        {
            foreach (var file in set.Files) file.Handle.Dispose();
        }
    }

    private sealed record PinnedFile(string Name, SafeFileHandle Handle, long Size);
    private sealed record PinnedSet(string? ManifestName, string? Manifest, IReadOnlyList<PinnedFile> Files, int Attempt);

    /// <summary>Opens every file the manifest lists, then checks the manifest did not change meanwhile.</summary>
    private PinnedSet PinSet(string aofDir, string fileName, CancellationToken cancel)
    {
        var manifestName = fileName + ".manifest";
        var manifestPath = Path.Combine(aofDir, manifestName);
        if (!File.Exists(manifestPath))
        {
            var single = Path.Combine(aofDir, fileName);
            if (!File.Exists(single)) throw new BackupToolsException("RedisAofNotFound", FailureKind.NotFound, $"Neither '{manifestPath}' nor '{single}' exists.", "Check -AofDirectory.");
            var handle = Open(single);
            return new PinnedSet(null, null, [new PinnedFile(fileName, handle, RandomAccess.GetLength(handle))], 1);
        }
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            cancel.ThrowIfCancellationRequested();
            var before = File.ReadAllText(manifestPath);
            IReadOnlyList<RedisAofFile> live;
            try { live = RedisAofManifest.Live(RedisAofManifest.Parse(before)); }
            catch (FormatException e) { throw new BackupToolsException("RedisAofManifestInvalid", FailureKind.InvalidData, $"'{manifestPath}': {e.Message}.", "Check the server log."); }
            var pinned = new List<PinnedFile>();
            try
            {
                foreach (var file in live)
                {
                    var handle = Open(Path.Combine(aofDir, file.Name));
                    pinned.Add(new PinnedFile(file.Name, handle, RandomAccess.GetLength(handle)));
                }
                if (File.ReadAllText(manifestPath) == before) return new PinnedSet(manifestName, before, pinned, attempt);
            }
            catch (FileNotFoundException) { /* a rewrite removed a file we were about to open: try again */ }
            foreach (var file in pinned) file.Handle.Dispose();
            observer.Verbose($"The AOF set changed while it was being opened (a rewrite?); attempt {attempt + 1}.");
            Thread.Sleep(200);
        }
        throw new BackupToolsException("RedisAofUnstable", FailureKind.ResourceBusy, $"The AOF set in '{aofDir}' kept changing over {Attempts} attempts.", "Run again when no AOF rewrite is running.");
    }

    private static SafeFileHandle Open(string path) =>
        File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);

    private static void WaitForRewrite(RedisInspector inspector, TimeSpan timeout, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (inspector.Info("persistence").GetValueOrDefault("aof_rewrite_in_progress") == "1")
        {
            if (DateTime.UtcNow > deadline)
                throw new BackupToolsException("RedisAofRewriteTimeout", FailureKind.ResourceBusy, $"{inspector.Target} kept rewriting its AOF for {timeout.TotalSeconds:0} s.", "Run again later.");
            cancel.WaitHandle.WaitOne(200);
            cancel.ThrowIfCancellationRequested();
        }
    }
}
