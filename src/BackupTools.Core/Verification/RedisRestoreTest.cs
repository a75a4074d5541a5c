using BackupTools.Core.Engines.Redis;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>-RestoreTest for Redis: load the snapshot into a throwaway redis-server, compare key counts per database, time the load.</summary>
internal sealed class RedisRestoreTest : IRestoreTest
{
    public (bool Passed, TimeSpan? Duration) Run(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys, RestoreTestTarget target,
        List<IntegrityCheck> checks, IOperationObserver observer, CancellationToken cancel)
    {
        var toolPath = target.ToolPath;
        try
        {
            var executable = RedisServerBinary.Locate(toolPath);
            observer.Verbose($"Test-loading {manifest.Id} into a throwaway {executable}.");
            var (server, loadTime) = RedisScratchServer.Start(executable, file =>
            {
                using var data = repository.OpenObject(manifest, BackupManifest.DataRole, keys);
                data.CopyTo(file, 1 << 20);
                data.VerifyToEnd();
            }, TimeSpan.FromMinutes(30), cancel);
            using (server)
            {
                var loaded = server.Keyspace();
                var (differences, expired) = RedisKeyCounts.Compare(RedisKeyCounts.Recorded(manifest), loaded);
                var ok = differences.Count == 0;
                checks.Add(new IntegrityCheck("restore-test", ok, ok
                    ? $"loaded {loaded.Sum(d => d.Keys)} keys in {loaded.Count} database(s) in {loadTime.TotalSeconds:0.00} s; key counts match the manifest" +
                      (expired > 0 ? $" ({expired} keys had expired since the backup)" : "")
                    : $"loaded in {loadTime.TotalSeconds:0.00} s but: {string.Join("; ", differences)}"));
                return (ok, loadTime);
            }
        }
        catch (BackupToolsException e)
        {
            return RestoreTester.Failed(checks, e);
        }
    }
}
