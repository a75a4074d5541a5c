using System.Diagnostics;
using BackupTools.Core.Keys;
using BackupTools.Core.Repository;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Chunked;
using BackupTools.Tests.Faults;

namespace BackupTools.Tests.Keys;

/// <summary>
/// Update-BackupKey in a real child process (the runner), SIGKILLed at several points of a rotation over 20 backups —
/// format 1 (keywraps records, add-then-drop) and format 2 (index files, chunk secret). The fault hook
/// BACKUPTOOLS_FAULT_ROTATION_PAUSE_MS slows each write so the kill lands mid-way. After each kill every backup reads
/// with the old key or the new one; a rerun finishes; the old key file is deleted and every backup verifies and restores.
/// </summary>
public sealed class RotationKillTests : CellTestBase
{
    private string Second => Temp.Sub("second.json");
    private string ThirdPrivate => Temp.Sub("third.json");
    private string ThirdPublic => Temp.Sub("third.public.json");

    private List<BackupRecord> TwentyBackups(string format)
    {
        InitRepoWithKey(createCell: false, format: format);
        Directory.CreateDirectory(Cell);
        ChunkedRepo.AddRandomFile(Path.Combine(Cell, "shared.bin"), 1 << 20);
        var backups = new List<BackupRecord>();
        for (var i = 1; i <= 20; i++)
        {
            File.WriteAllText(Path.Combine(Cell, "n.txt"), i.ToString());
            backups.Add(Backup());
        }
        return backups;
    }

    private BtProcess StartRotation(string from, string to) =>
        new($"Update-BackupKey -Repository '{Repo}' -From '{from}' -To '{to}' -Confirm:$false | Out-Null",
            new Dictionary<string, string> { [KeyRotation.PauseVariable] = "150" });

    /// <summary>Starts a slowed rotation and SIGKILLs it as soon as <paramref name="reached"/> holds.</summary>
    private static void KillWhen(Func<BtProcess> start, Func<bool> reached, string what)
    {
        using var child = start();
        var clock = Stopwatch.StartNew();
        while (!reached())
        {
            if (child.HasExited) Assert.Fail($"the rotation ended before {what}: {child.Wait(TimeSpan.FromSeconds(5))}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"timed out waiting for {what}");
            Thread.Sleep(20);
        }
        child.Kill();
    }

    private void VerifyAndRestoreWith(string keyFile, List<BackupRecord> backups)
    {
        var checks = Run("Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $k", ("k", keyFile)).AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(20, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed, string.Join("; ", c.Checks)));
        foreach (var i in new[] { 2, 11, 19 })
        {
            var dest = Temp.Sub($"restored-{i}");
            Run("Restore-Cell -Id $id -Repository $repo -KeyFile $k -Destination $d -Confirm:$false", ("id", backups[i - 1].Id), ("k", keyFile), ("d", dest)).AssertNoErrors();
            Assert.Equal(i.ToString(), File.ReadAllText(Path.Combine(dest, "n.txt")).Trim());
            Assert.Equal(File.ReadAllBytes(Path.Combine(Cell, "shared.bin")), File.ReadAllBytes(Path.Combine(dest, "shared.bin")));
        }
    }

    private List<BackupRecord> KeysNeeded() => Run("Get-Backup -Repository $repo").AssertNoErrors().Objects<BackupRecord>().ToList();

    private int RecordsNaming(string keyId) =>
        Directory.Exists(Path.Combine(Repo, "keywraps")) ? Directory.GetFiles(Path.Combine(Repo, "keywraps"), "*.json").Count(f => SafeRead(f).Contains(keyId)) : 0;

    private static string SafeRead(string path)
    {
        try { return File.ReadAllText(path); } catch (IOException) { return ""; }
    }

    [Fact]
    public void V1_rotation_process_killed_twice_mid_way_resumes_and_the_old_key_is_retired()
    {
        var backups = TwentyBackups("v1");
        var ids = backups.Select(b => b.Id).ToList();
        Run("New-BackupKey -Path $s | Out-Null; New-BackupKey -Path $t -KeyPair | Out-Null; Update-BackupKey -Repository $repo -From $key -To $s -Confirm:$false | Out-Null",
            ("s", Second), ("t", ThirdPrivate)).AssertNoErrors();
        var second = BackupKeyFile.Read(Second);
        var third = BackupKeyFile.Read(ThirdPrivate);

        // Second → third (two writes per backup: add the third's wrap, drop the second's), onto the public half.
        KillWhen(() => StartRotation(Second, ThirdPublic), () => RecordsNaming(third.Id) >= 5, "five backups re-wrapped");
        RotationProbe.AssertEveryBackupReadsWithEither(Repo, second, third, ids);
        KillWhen(() => StartRotation(Second, ThirdPublic), () => RecordsNaming(third.Id) >= 13, "thirteen backups re-wrapped");
        RotationProbe.AssertEveryBackupReadsWithEither(Repo, second, third, ids);
        Assert.InRange(RecordsNaming(third.Id), 13, 19);

        var results = Run("Update-BackupKey -Repository $repo -From $s -To $t -Confirm:$false", ("s", Second), ("t", ThirdPublic)).AssertNoErrors().Objects<KeyRotationResult>().ToList();
        Assert.Equal(20, results.Count);
        Assert.Equal(0, RecordsNaming(second.Id));
        File.Delete(KeyPath);
        File.Delete(Second);
        VerifyAndRestoreWith(ThirdPrivate, backups);
    }

    [Fact]
    public void V2_rotation_process_killed_while_writing_and_while_deleting_index_files_resumes_and_the_old_key_is_retired()
    {
        var backups = TwentyBackups("v2");
        var ids = backups.Select(b => b.Id).ToList();
        Run("New-BackupKey -Path $t -KeyPair | Out-Null", ("t", ThirdPrivate)).AssertNoErrors();
        var oldKey = BackupKeyFile.Read(KeyPath);
        var third = BackupKeyFile.Read(ThirdPrivate);
        var indexFiles = RotationProbe.IndexFilesUnder(Repo, oldKey.Id);
        var immutable = RotationProbe.ImmutableObjects(Repo);

        KillWhen(() => StartRotation(KeyPath, ThirdPublic), () => RotationProbe.IndexFilesUnder(Repo, third.Id) >= 4, "four new index files");
        RotationProbe.AssertEveryBackupReadsWith(Repo, oldKey, ids);
        // Killed while writing new index files: most backups cannot be read without the old key, and every one says it needs it.
        Assert.All(KeysNeeded(), r => Assert.Equal([oldKey.Id], r.KeyIds));
        KillWhen(() => StartRotation(KeyPath, ThirdPublic), () => RotationProbe.IndexFilesUnder(Repo, oldKey.Id) <= indexFiles - 3, "three old index files deleted");
        RotationProbe.AssertEveryBackupReadsWithEither(Repo, oldKey, third, ids);
        RotationProbe.AssertEveryBackupReadsWith(Repo, third, ids);
        // Killed while deleting old files (after every new one and every backup's keys record exist): each says the new key, truly.
        Assert.All(KeysNeeded(), r => Assert.Equal([third.Id], r.KeyIds));

        Run("Update-BackupKey -Repository $repo -From $key -To $t -Confirm:$false | Out-Null", ("t", ThirdPublic)).AssertNoErrors();
        Assert.Equal((0, indexFiles), (RotationProbe.IndexFilesUnder(Repo, oldKey.Id), RotationProbe.IndexFilesUnder(Repo, third.Id)));
        foreach (var (file, bytes) in immutable) Assert.Equal(bytes, File.ReadAllBytes(file));
        File.Delete(KeyPath);
        VerifyAndRestoreWith(ThirdPrivate, backups);
    }
}
