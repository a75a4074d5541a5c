using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Storage;

/// <summary>A big object's writeback starts while it is written, not all at once in the fsync before its rename.</summary>
public sealed class LocalStoreWriteBehindTests : IDisposable
{
    private readonly TempDir _temp = new();

    [Fact]
    public void Writeback_is_started_every_step_while_an_object_is_written_and_the_bytes_arrive_intact()
    {
        var store = new LocalBackupStore(_temp.Sub("repo"));
        var chunk = new byte[1 << 20];
        new Random(7).NextBytes(chunk);
        const int chunks = 20;
        using (var pending = store.OpenWrite("backups/big.bin"))
        {
            for (var i = 0; i < chunks; i++) pending.Write(chunk);
            if (OperatingSystem.IsLinux())
                Assert.Equal(chunks * chunk.Length / (int)WriteBehind.Step, ((LocalBackupStore.LocalPendingObject)pending).WriteBehindRanges);
            pending.Commit();
        }
        using var read = store.OpenRead("backups/big.bin");
        var back = new byte[chunk.Length];
        for (var i = 0; i < chunks; i++)
        {
            read.ReadExactly(back);
            Assert.True(back.AsSpan().SequenceEqual(chunk), $"chunk {i} differs");
        }
        Assert.Equal(0, read.Read(back));
    }

    public void Dispose() => _temp.Dispose();
}
