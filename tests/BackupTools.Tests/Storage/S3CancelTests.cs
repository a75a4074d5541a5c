using System.Diagnostics;
using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Storage;

/// <summary>
/// A restore reading a large object from a slow S3 server stops promptly when cancelled (Ctrl+C): the operation's
/// token reaches the store's read, instead of the restore finishing the object first.
/// </summary>
[Collection("servers")]
public sealed class S3CancelTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly S3TestBucket _bucket = new();

    [Fact]
    public void Cancelling_a_restore_mid_object_from_a_slow_store_stops_it_within_seconds()
    {
        var cell = _temp.Sub("cell");
        Directory.CreateDirectory(cell);
        var big = new byte[24 << 20];
        new Random(7).NextBytes(big);
        File.WriteAllBytes(Path.Combine(cell, "big.bin"), big);
        var credential = new StorageCredential("test", "test");
        var direct = new RepositoryReference(_bucket.Uri(), credential);
        BackupRepository.Initialize(direct.OpenStore(), new RepositoryDefaults { Compression = "none" }, formatVersion: 1).Dispose();
        var backup = new CellBackupOperation(NullObserver.Instance).Run(
            new CellBackupRequest(direct, "files", cell, BackupKind.Full, null, null, TimeSpan.Zero), CancellationToken.None);

        // 512 KiB/s: the 24 MiB object would take ~48 s to read.
        using var slow = new FlakyTcpProxy(new Uri(_bucket.Endpoint).Port, downloadBytesPerSecond: 512 << 10);
        var throughProxy = new RepositoryReference($"s3://{_bucket.Name}/repo?endpoint={Uri.EscapeDataString(slow.Endpoint)}", credential);
        var destination = _temp.Sub("restored");
        using var cancel = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var restore = Task.Run(() => new CellRestoreOperation(NullObserver.Instance).Run(
            new CellRestoreRequest(throughProxy, null, backup.Id, null, destination, false, null, TimeSpan.Zero, (_, _) => true), cancel.Token));
        Thread.Sleep(3000);
        Assert.False(restore.IsCompleted, "the restore ended before it was cancelled");
        cancel.Cancel();
        var cancelledAt = clock.Elapsed;

        var error = Assert.ThrowsAny<OperationCanceledException>(() => restore.GetAwaiter().GetResult());
        var stoppedAfter = clock.Elapsed - cancelledAt;
        Assert.True(stoppedAfter < TimeSpan.FromSeconds(5), $"the restore took {stoppedAfter} to stop after the cancel ({error.Message})");
        Assert.False(Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any(), "a cancelled restore left data in the destination");
    }

    public void Dispose()
    {
        _bucket.Dispose();
        _temp.Dispose();
    }
}
