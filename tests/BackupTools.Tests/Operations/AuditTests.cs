using System.Diagnostics;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Operations;

/// <summary>The audit log and the run log, for every operation type a cell goes through.</summary>
public sealed class AuditTests : CellTestBase
{
    private AuditEntry[] Audit(string args = "") =>
        Run($"Get-BackupAudit -Repository $repo {args}").AssertNoErrors().Objects<AuditEntry>().ToArray();

    [Fact]
    public void Backup_verify_restore_and_delete_each_append_an_entry_with_who_where_what_and_result()
    {
        InitRepoWithKey();
        var full = Backup();
        var inc = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key -Type Incremental").AssertNoErrors().Single<BackupRecord>();
        Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key | Out-Null", ("id", inc.Id)).AssertNoErrors();
        var restored = Run("Restore-Cell -Name crm -Destination $cell -Repository $repo -KeyFile $key -Confirm:$false").AssertNoErrors().Single<RestoreResult>();
        Run("Backup-Cell -Name crm -Path $missing -Repository $repo -KeyFile $key", ("missing", Temp.Sub("gone"))).AssertError("CellPathNotFound");
        Run("Remove-Backup -Id $id -Repository $repo -Confirm:$false", ("id", full.Id)).AssertError("BackupHasDependents");
        Run("Remove-Backup -Id $id -Repository $repo -Confirm:$false", ("id", inc.Id)).AssertNoErrors();

        var entries = Audit();
        Assert.Equal(
            ["backup Succeeded", "backup Succeeded", "verify Succeeded", "restore Succeeded", "backup Failed", "delete Failed", "delete Succeeded"],
            entries.Select(e => $"{e.Operation} {e.Result}"));
        Assert.Equal([full.Id], entries[0].Ids);
        Assert.Equal([inc.Id], entries[2].Ids);
        Assert.Equal([restored.RestoredId, restored.SafetyBackupId!], entries[3].Ids);
        Assert.Contains("safety backup", entries[3].Message);
        Assert.Equal("CellPathNotFound", entries[4].ErrorId);
        Assert.Equal("BackupHasDependents", entries[5].ErrorId);
        Assert.Contains("Remove-Backup", entries[6].Message);
        Assert.All(entries, e =>
        {
            Assert.Equal("crm", e.Cell);
            Assert.Equal(Environment.UserName, e.User);
            Assert.Equal(Environment.MachineName, e.Host);
            Assert.False(string.IsNullOrEmpty(e.ToolVersion));
        });
        Assert.True(entries.Zip(entries.Skip(1)).All(p => p.First.At <= p.Second.At), "oldest first");

        var files = Directory.GetFiles(Path.Combine(Repo, "audit"), "*.json", SearchOption.AllDirectories);
        Assert.Equal(entries.Length, files.Length);
        Assert.All(files, f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        Assert.All(files, f => Assert.Matches(@"audit/\d{4}-\d{2}/\d{8}T\d{6}\.\d{7}Z-[0-9a-f]{8}\.json$", f));
    }

    [Fact]
    public void Filters_select_by_operation_result_id_time_and_count()
    {
        InitRepoWithKey();
        var first = Backup();
        var second = Backup();
        Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key | Out-Null", ("id", second.Id)).AssertNoErrors();
        File.WriteAllText(Path.Combine(Repo, "backups", second.Id, "data"), "garbage");
        Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", second.Id)).AssertError("BackupIntegrityCheckFailed");

        Assert.Equal(2, Audit("-Operation verify").Length);
        var failed = Assert.Single(Audit("-Failed"));
        Assert.Equal(("verify", "BackupIntegrityCheckFailed"), (failed.Operation, failed.ErrorId));
        Assert.Contains("failed at data:", failed.Message);
        Assert.Equal([first.Id], Assert.Single(Audit("-Id $id", first.Id)).Ids);
        Assert.Equal(failed.At, Assert.Single(Audit("-Last 1")).At);
        Assert.Empty(Audit("-Since ([DateTimeOffset]::UtcNow.AddMinutes(5))"));
        Assert.Equal(4, Audit("-Since ([DateTimeOffset]::UtcNow.AddMonths(-2)) -Until ([DateTimeOffset]::UtcNow.AddMinutes(1))").Length);
    }

    [Fact]
    public void A_copy_is_audited_in_the_destination_repository()
    {
        InitRepoWithKey();
        var record = Backup();
        Run("Initialize-BackupRepository -Format v1 -Path $nas | Out-Null; Copy-Backup -Id $id -Repository $repo -Target $nas | Out-Null",
            ("nas", Temp.Sub("nas")), ("id", record.Id)).AssertNoErrors();
        var copy = Assert.Single(Run("Get-BackupAudit -Repository $nas", ("nas", Temp.Sub("nas"))).AssertNoErrors().Objects<AuditEntry>());
        Assert.Equal(("copy", "Succeeded", "crm"), (copy.Operation, copy.Result, copy.Cell));
        Assert.Equal([record.Id], copy.Ids);
        Assert.Contains($"from file://{Repo}", copy.Message);
    }

    private AuditEntry[] Audit(string args, string id) => Run($"Get-BackupAudit -Repository $repo {args}", ("id", id)).AssertNoErrors().Objects<AuditEntry>().ToArray();

    [Fact]
    public void The_runner_LogFile_records_start_end_warnings_and_errors_privately()
    {
        InitRepoWithKey();
        var log = Temp.Sub("logs/run.log");
        Directory.CreateDirectory(Temp.Sub("logs"));
        var script = $"Backup-Cell -Name crm -Path '{Cell}' -Repository '{Repo}' -KeyFile '{KeyPath}' | Out-Null; " +
                     $"Backup-Cell -Name crm -Path '{Temp.Sub("gone")}' -Repository '{Repo}' -KeyFile '{KeyPath}'";
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(RepoPaths.Root, "bin", "runner", "btrun.dll"), "-LogFile", log, "-Command", script }) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(60_000));
            Assert.Equal(1, p.ExitCode);
        }
        var lines = File.ReadAllLines(log);
        Assert.Contains(lines, l => l.Contains(" Backup-Cell START"));
        Assert.Contains(lines, l => l.Contains(" Backup-Cell END after"));
        Assert.Contains(lines, l => l.Contains(" Backup-Cell ERROR CellPathNotFound: -Path:"));
        Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+\[\d+\] \S+ [A-Z]+ ", l));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log));
    }
}
