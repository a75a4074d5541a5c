using System.Management.Automation;
using BackupTools.Core.Keys;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Redis;

/// <summary>Repository, key and PowerShell session per test, plus private redis-server instances it stops afterwards.</summary>
public abstract class RedisTestBase : CellTestBase
{
    private readonly List<RedisInstance> _instances = [];

    protected RedisInstance NewInstance(string name, string? password = null, string extraConfig = "", bool withoutConfigFile = false)
    {
        var instance = new RedisInstance(Temp.Sub(name), password, extraConfig, withoutConfigFile);
        _instances.Add(instance);
        return instance;
    }

    protected static PSCredential Password(string password, string user = "default") =>
        new(user, new System.Net.NetworkCredential("", password).SecurePassword);

    /// <summary>The decrypted snapshot of a backup, as the repository returns it.</summary>
    protected byte[] SnapshotBytes(string id)
    {
        var repository = BackupRepository.Open(new LocalBackupStore(Repo));
        var keys = File.Exists(KeyPath) ? BackupKeyRing.Load(new KeySources([KeyPath], [], false)) : null;
        using var data = repository.OpenObject(repository.GetManifest(id), BackupManifest.DataRole, keys);
        using var copy = new MemoryStream();
        data.CopyTo(copy);
        data.VerifyToEnd();
        return copy.ToArray();
    }

    public override void Dispose()
    {
        foreach (var instance in _instances) instance.Dispose();
        base.Dispose();
    }
}
