using System.Diagnostics;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Operations;

/// <summary>Get-BackupStatus on real cell backups, in the hosted engine and through the runner as cron runs it.</summary>
public sealed class StatusCmdletTests : CellTestBase
{
    private BackupStatus[] Status(string args = "") =>
        Run($"Get-BackupStatus -Repository $repo {args}").Objects<BackupStatus>().ToArray();

    [Fact]
    public void Fresh_backups_are_healthy_and_a_passed_check_shows_as_the_last_verification()
    {
        InitRepoWithKey();
        Backup();
        var newest = Backup();
        var result = Run("Get-BackupStatus -Repository $repo").AssertNoErrors();
        var status = result.Single<BackupStatus>();
        Assert.True(status.Healthy, string.Join("; ", status.Warnings));
        Assert.Equal(("crm", "directory", 2, newest.Id), (status.Cell, status.Engine, status.BackupCount, status.LastBackup.Id));
        Assert.Null(status.LastVerified);
        Assert.True(status.Age < TimeSpan.FromMinutes(5));

        Run("Get-Backup -Repository $repo -Latest | Test-BackupIntegrity -KeyFile $key").AssertNoErrors();
        status = Run("Get-BackupStatus -Repository $repo").AssertNoErrors().Single<BackupStatus>();
        Assert.True(status.LastVerificationPassed);
        Assert.Equal(newest.Id, status.LastVerifiedId);
    }

    [Fact]
    public void A_shrunken_backup_a_failed_check_and_a_missing_copy_each_make_an_error_naming_why()
    {
        InitRepoWithKey();
        Backup();
        Directory.Delete(Cell, recursive: true);
        Directory.CreateDirectory(Cell);
        File.WriteAllText(Path.Combine(Cell, "left.txt"), "all that is left\n");
        var small = Backup();
        var result = Run("Get-BackupStatus -Repository $repo");
        var error = result.AssertError("BackupUnhealthy");
        Assert.Contains("% of the size of the previous full", error.Exception.Message);
        Assert.False(result.Single<BackupStatus>().Healthy);

        using (var data = File.OpenWrite(Path.Combine(Repo, "backups", small.Id, "data"))) { data.Position = 64; data.WriteByte(0x5a); data.WriteByte(0xa5); }
        Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key", ("id", small.Id)).AssertError("BackupIntegrityCheckFailed");
        var failed = Run("Get-BackupStatus -Repository $repo -MinSizeRatio 0").Single<BackupStatus>();
        Assert.Equal([$"last verification ({small.Id}, "], failed.Warnings.Select(w => w[..(w.IndexOf(',') + 2)]));

        Run("Initialize-BackupRepository -Format v1 -Path $nas | Out-Null", ("nas", Temp.Sub("nas"))).AssertNoErrors();
        var copies = Run("Get-BackupStatus -Repository $repo -MinSizeRatio 0 -RequiredTarget $nas", ("nas", Temp.Sub("nas"))).Single<BackupStatus>();
        Assert.Contains(copies.Warnings, w => w.Contains("has no copy on required target file://") && w.EndsWith("/nas"));
    }

    [Fact]
    public void A_cell_asked_for_without_any_backup_is_an_error_and_bad_input_names_the_parameter()
    {
        InitRepoWithKey();
        Backup();
        Run("Get-BackupStatus -Repository $repo -Cell crm, billing").AssertError("BackupMissing");
        var bad = Run("Get-BackupStatus -Repository $repo -MaxAge 12x");
        Assert.NotNull(bad.Thrown ?? (object?)bad.Errors.FirstOrDefault());
        Assert.Contains("12x", (bad.Thrown?.Message ?? bad.Errors[0].Exception.Message));
    }

    [Fact]
    public void The_runner_exits_non_zero_when_a_series_is_unhealthy_and_zero_when_all_are_healthy()
    {
        InitRepoWithKey();
        Backup();
        Assert.Equal(0, RunnerExit($"Get-BackupStatus -Repository '{Repo}' | ForEach-Object {{ $_.Healthy }}"));
        Thread.Sleep(1100);
        Assert.Equal(1, RunnerExit($"Get-BackupStatus -Repository '{Repo}' -MaxAge 1s"));
    }

    private static int RunnerExit(string command)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "bin", "runner", "btrun.dll"));
        psi.ArgumentList.Add("-Command");
        psi.ArgumentList.Add(command);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var errors = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "the runner hung");
        if (p.ExitCode != 0) Assert.Contains("BackupUnhealthy", errors.Result + output.Result);
        return p.ExitCode;
    }
}
