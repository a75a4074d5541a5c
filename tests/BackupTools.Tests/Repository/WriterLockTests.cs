using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Repository;

[Collection("lease-duration")]
public sealed class WriterLockTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly BackupRepository _repository;

    public WriterLockTests()
    {
        _repository = BackupRepository.Initialize(new LocalBackupStore(_temp.Sub("repo")), new RepositoryDefaults(), formatVersion: 1);
    }

    [Fact]
    public void Heartbeat_keeps_a_live_lease_from_expiring()
    {
        var saved = WriterLock.LeaseDuration;
        WriterLock.LeaseDuration = TimeSpan.FromSeconds(2);
        try
        {
            using var held = WriterLock.AcquireExclusive(_repository, "long backup", TimeSpan.Zero);
            Thread.Sleep(TimeSpan.FromSeconds(5)); // more than two lease durations
            var error = Assert.Throws<BackupTools.Core.Errors.BackupToolsException>(() => WriterLock.AcquireExclusive(_repository, "second", TimeSpan.Zero));
            Assert.Equal("RepositoryLocked", error.ErrorId);
        }
        finally
        {
            WriterLock.LeaseDuration = saved;
        }
    }

    [Fact]
    public void Released_lock_can_be_taken_again_and_the_lock_file_is_gone()
    {
        using (WriterLock.AcquireExclusive(_repository, "first", TimeSpan.Zero)) { }
        Assert.False(_repository.Store.Exists(WriterLock.LockKey));
        using var again = WriterLock.AcquireExclusive(_repository, "second", TimeSpan.Zero);
        Assert.True(_repository.Store.Exists(WriterLock.LockKey));
    }

    public void Dispose() => _temp.Dispose();
}
