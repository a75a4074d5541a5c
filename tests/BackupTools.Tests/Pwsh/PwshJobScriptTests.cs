using BackupTools.Core.Scheduling;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Pwsh;

/// <summary>
/// Cron-style runs in real pwsh: a job script's exit code must say whether the backup worked, both for a
/// script run as `pwsh -NoProfile -File job.ps1` and for the command line Register-BackupSchedule installs.
/// </summary>
public sealed class PwshJobScriptTests : IClassFixture<Pwsh>, IDisposable
{
    private readonly Pwsh _pwsh;
    private readonly TempDir _temp = new();

    public PwshJobScriptTests(Pwsh pwsh)
    {
        _pwsh = pwsh;
        Directory.CreateDirectory(_temp.Sub("data"));
        File.WriteAllText(_temp.Sub("data/a.txt"), "hello");
        var setup = _pwsh.Run($"""
            Import-Module BackupTools -ErrorAction Stop
            Initialize-BackupRepository -Format v1 -Path {Pwsh.Quote(_temp.Sub("repo"))} -ErrorAction Stop | Out-Null
            New-BackupKey -Path {Pwsh.Quote(_temp.Sub("main.key"))} -ErrorAction Stop | Out-Null
            """);
        Assert.True(setup.ExitCode == 0, setup.ToString());
    }

    /// <summary>The job as the docs tell users to write it: stop at the first error.</summary>
    private string JobScript()
    {
        var path = _temp.Sub("job.ps1");
        File.WriteAllText(path, """
            param([string] $Data, [string] $Repository, [string] $KeyFile)
            $ErrorActionPreference = 'Stop'
            Import-Module BackupTools
            Backup-Cell -Name crm -Path $Data -Repository $Repository -KeyFile $KeyFile | Test-BackupIntegrity -KeyFile $KeyFile
            """);
        return path;
    }

    [Fact]
    public void A_job_script_exits_zero_when_the_backup_works_and_non_zero_when_it_fails()
    {
        var job = JobScript();
        var ok = _pwsh.RunFile(job, arguments: [_temp.Sub("data"), _temp.Sub("repo"), _temp.Sub("main.key")]);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("True", ok.Stdout); // the IntegrityResult's Passed column

        var failed = _pwsh.RunFile(job, arguments: [_temp.Sub("no-such-data"), _temp.Sub("repo"), _temp.Sub("main.key")]);
        Assert.True(failed.ExitCode != 0, failed.ToString());
        Assert.Contains("no-such-data", failed.Stderr + failed.Stdout);
    }

    [Fact]
    public void The_command_line_a_schedule_installs_exits_non_zero_when_the_backup_writes_an_error()
    {
        // No $ErrorActionPreference here: the schedule's wrapper must turn a non-terminating error into exit 1.
        var script = _temp.Sub("nightly.ps1");
        File.WriteAllText(script, $"Backup-Cell -Name crm -Path $env:BT_T_DATA -Repository {Pwsh.Quote(_temp.Sub("repo"))} -KeyFile {Pwsh.Quote(_temp.Sub("main.key"))}");
        var command = ScheduledCommand.Create(script, null, RepoPaths.Root, Pwsh.Executable);
        Assert.Equal(Pwsh.Executable, command.Executable);

        var ok = _pwsh.RunArguments(command.Arguments, new Dictionary<string, string> { ["BT_T_DATA"] = _temp.Sub("data") });
        Assert.True(ok.ExitCode == 0, ok.ToString());
        var failed = _pwsh.RunArguments(command.Arguments, new Dictionary<string, string> { ["BT_T_DATA"] = _temp.Sub("missing") });
        Assert.True(failed.ExitCode == 1, failed.ToString());
    }

    [Fact]
    public void A_background_job_returns_the_record_and_its_error_to_the_caller()
    {
        var json = _pwsh.Run($$"""
            Import-Module BackupTools
            $block = { param($d, $r, $k) Import-Module BackupTools; Backup-Cell -Name crm -Path $d -Repository $r -KeyFile $k }
            $good = Start-ThreadJob -ScriptBlock $block -ArgumentList {{Pwsh.Quote(_temp.Sub("data"))}}, {{Pwsh.Quote(_temp.Sub("repo"))}}, {{Pwsh.Quote(_temp.Sub("main.key"))}}
            $bad = Start-ThreadJob -ScriptBlock $block -ArgumentList {{Pwsh.Quote(_temp.Sub("missing"))}}, {{Pwsh.Quote(_temp.Sub("repo"))}}, {{Pwsh.Quote(_temp.Sub("main.key"))}}
            $record = $good, $bad | Wait-Job -Timeout 120 | Receive-Job -ErrorVariable errors -ErrorAction SilentlyContinue
            @{ Cells = @($record | ForEach-Object Cell); Type = $record.GetType().FullName; Errors = @($errors | ForEach-Object FullyQualifiedErrorId) } | ConvertTo-Json -Compress
            """).Json();
        Assert.Equal("crm", json.GetProperty("Cells")[0].GetString());
        Assert.Equal(1, json.GetProperty("Cells").GetArrayLength());
        Assert.Equal("BackupTools.BackupRecord", json.GetProperty("Type").GetString()); // a thread job keeps the live object
        Assert.Contains(json.GetProperty("Errors").EnumerateArray(), e => e.GetString()!.EndsWith(",BackupTools.PowerShell.Commands.BackupCellCommand", StringComparison.Ordinal));
    }

    public void Dispose() => _temp.Dispose();
}
