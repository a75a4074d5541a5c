using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.MySqlPhysical;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Faults;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.MySqlPitr;

/// <summary>
/// A real mariadb-backup stream through the overlapped write pipeline (compression on the caller's thread, encryption,
/// stored hash and store write on a pipeline thread): a cancellation mid-stream and a disk that fills up under the
/// pipeline thread both end the backup with its error and leave no manifest, no object and no temp part.
/// </summary>
[Collection("servers")]
public sealed class PhysicalBackupPipelineTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly ArchivingMariaDb _server;
    private readonly BackupKeyRing _keys = new();
    private SmallTmpfs? _disk;

    public PhysicalBackupPipelineTests()
    {
        _keys.Add(BackupKey.Generate());
        _server = new ArchivingMariaDb(_temp.Sub("server"));
        // ~40 MB that does not compress: the stream is far larger than the pipeline's buffers and than the small disk below.
        try
        {
            _server.Execute("create database noise");
            _server.Execute("create table blobs(id int primary key, b blob not null) engine=InnoDB", "noise");
            _server.Execute("insert into blobs select seq, random_bytes(1024) from seq_1_to_40000", "noise");
        }
        catch
        {
            _server.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _server.Dispose();
        _disk?.Dispose();
        _temp.Dispose();
    }

    /// <summary>Cancels the operation once the backup has streamed so many bytes.</summary>
    private sealed class CancelAfter(long bytes, CancellationTokenSource cancel) : IOperationObserver
    {
        public long Seen;
        public void Progress(string activity, string status, long bytesDone, long? bytesTotal)
        {
            Seen = bytesDone;
            if (bytesDone >= bytes) cancel.Cancel();
        }
        public void Warning(string message) { }
        public void Verbose(string message) { }
    }

    private BackupRecord Backup(string repository, IOperationObserver observer, CancellationToken cancel)
    {
        BackupRepository.Initialize(new LocalBackupStore(repository), new RepositoryDefaults(), formatVersion: 1).Dispose();
        var request = new MySqlPhysicalBackupRequest(new RepositoryReference(repository), new MySqlTarget("127.0.0.1", _server.Port, "root", ArchivingMariaDb.Password),
            "physical-pipeline", null, null, _keys, TimeSpan.FromSeconds(10));
        return new MySqlPhysicalBackupOperation(observer).Run(request, cancel);
    }

    private static void AssertNothingStored(string repository)
    {
        var left = Directory.GetFiles(repository, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(repository, f))
            .Where(f => f.StartsWith("backups", StringComparison.Ordinal) || f.StartsWith("tmp", StringComparison.Ordinal))
            .ToList();
        Assert.True(left.Count == 0, "left behind: " + string.Join(", ", left));
        using var opened = BackupRepository.Open(new LocalBackupStore(repository));
        Assert.Empty(opened.ListManifests());
    }

    [Fact]
    public void A_physical_backup_cancelled_mid_stream_stops_and_leaves_nothing()
    {
        var repository = _temp.Sub("repo");
        using var cancel = new CancellationTokenSource();
        var observer = new CancelAfter(8 << 20, cancel);
        Assert.ThrowsAny<OperationCanceledException>(() => Backup(repository, observer, cancel.Token));
        Assert.InRange(observer.Seen, 8 << 20, 40 << 20); // it really was mid-stream
        AssertNothingStored(repository);
    }

    [TmpfsFact]
    public void A_disk_that_fills_under_the_pipeline_thread_fails_the_physical_backup_clearly_and_leaves_nothing()
    {
        _disk = new SmallTmpfs(_temp.Sub("disk"), 12);
        var repository = Path.Combine(_disk.Path, "repo");
        var error = Assert.ThrowsAny<Exception>(() => Backup(repository, NullObserver.Instance, CancellationToken.None));
        Assert.Contains("No space left on device", error.ToString());
        AssertNothingStored(repository);
    }
}
