using BackupTools.Core.Repository;

namespace BackupTools.Tests.Infrastructure;

/// <summary>Writer leases left in a local repository: none once every writer and deleter has finished.</summary>
public static class Leases
{
    public static bool AnyIn(string repository)
    {
        var shared = Path.Combine(repository, WriterLock.SharedPrefix);
        return File.Exists(Path.Combine(repository, WriterLock.LockKey)) || (Directory.Exists(shared) && Directory.EnumerateFileSystemEntries(shared).Any());
    }
}
