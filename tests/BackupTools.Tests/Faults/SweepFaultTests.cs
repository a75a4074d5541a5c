using System.Diagnostics;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Faults;

/// <summary>Issue 14 item 5: a writer's sweep of tmp/ must not delete what a reader (or another live process) is writing.</summary>
[Collection("lease-duration")]
public sealed class SweepFaultTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly BackupRepository _repository;

    public SweepFaultTests()
    {
        _repository = BackupRepository.Initialize(new LocalBackupStore(_temp.Sub("repo")), new RepositoryDefaults(), formatVersion: 1);
    }

    private string TmpFolder => _temp.Sub("repo/tmp");

    private sealed class WarningCounter : IOperationObserver
    {
        public readonly System.Collections.Concurrent.ConcurrentBag<string> Warnings = [];
        public void Progress(string activity, string status, long bytesDone, long? bytesTotal) { }
        public void Warning(string message) => Warnings.Add(message);
        public void Verbose(string message) { }
    }

    [Fact]
    public void A_readers_verification_records_survive_a_writers_sweeps()
    {
        var observer = new WarningCounter();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        var recorded = new List<string>();
        var reader = new Thread(() =>
        {
            for (var i = 0; DateTime.UtcNow < until; i++)
            {
                var id = $"20260101T020000Z-crm-cell-{i:x6}";
                var result = new IntegrityResult { Id = id, Passed = true, Checks = [new IntegrityCheck("hash", true, "ok")], Duration = TimeSpan.Zero };
                if (VerificationLog.Record(_repository, result, observer)) recorded.Add(id);
            }
        });
        var sweeps = 0;
        var writer = new Thread(() =>
        {
            while (DateTime.UtcNow < until)
            {
                using (WriterLock.AcquireExclusive(_repository, "sweeping writer", TimeSpan.FromSeconds(10)))
                    RepositorySweeper.Sweep(_repository, NullObserver.Instance);
                sweeps++;
            }
        });
        reader.Start();
        writer.Start();
        reader.Join();
        writer.Join();

        Assert.True(observer.Warnings.IsEmpty, $"{observer.Warnings.Count} record(s) lost, e.g. {observer.Warnings.FirstOrDefault()}");
        Assert.True(recorded.Count > 100 && sweeps > 100, $"{recorded.Count} records, {sweeps} sweeps");
        var all = VerificationLog.ReadAll(_repository);
        Assert.All(recorded, id => Assert.True(all.ContainsKey(id), $"record of {id} missing"));
    }

    [Fact]
    public void The_sweep_spares_parts_of_live_processes_and_recent_foreign_ones_and_removes_the_rest()
    {
        Directory.CreateDirectory(TmpFolder);
        using var live = Process.Start("sleep", "60");
        using var dead = Process.Start("true");
        dead.WaitForExit();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var old = now - (long)TimeSpan.FromHours(2).TotalSeconds;
        string Part(long seconds, string host, int pid) => $"{seconds}-{host}-{pid}-{Guid.NewGuid():N}.part";
        var spared = new[] { Part(now, OwnerProcess.HostTag, live.Id), Part(now, "0a0b0c", 1) };
        var swept = new[] { Part(now, OwnerProcess.HostTag, dead.Id), Part(old, "0a0b0c", 1), $"{Guid.NewGuid():N}.part" };
        foreach (var name in spared.Concat(swept)) File.WriteAllText(Path.Combine(TmpFolder, name), "x");

        using (WriterLock.AcquireExclusive(_repository, "sweeping writer", TimeSpan.Zero))
            RepositorySweeper.Sweep(_repository, NullObserver.Instance);

        Assert.Equal(spared.Order(), Directory.GetFiles(TmpFolder).Select(Path.GetFileName).Order());
        live.Kill();
    }

    [Fact]
    public void Deleting_the_last_object_of_a_top_level_folder_keeps_the_folder()
    {
        var store = _repository.Store;
        store.Replace("verifications/20260101T020000Z-crm-cell-000001.json", "{}"u8);
        store.Delete("verifications/20260101T020000Z-crm-cell-000001.json");
        Assert.True(Directory.Exists(_temp.Sub("repo/verifications")));
        store.Replace("backups/20260101T020000Z-crm-cell-000001/data", "x"u8);
        store.Delete("backups/20260101T020000Z-crm-cell-000001/data");
        Assert.False(Directory.Exists(_temp.Sub("repo/backups/20260101T020000Z-crm-cell-000001")));
        Assert.True(Directory.Exists(_temp.Sub("repo/backups")));
    }

    public void Dispose() => _temp.Dispose();
}
