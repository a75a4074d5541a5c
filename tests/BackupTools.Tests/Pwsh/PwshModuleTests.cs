using System.Text.Json;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Pwsh;

/// <summary>
/// The module as a pwsh user meets it: imported by name, help, format views, -WhatIf/-Confirm, progress,
/// error records and $?. Anything that differs from the hosted engine is a bug in the module.
/// </summary>
public sealed class PwshModuleTests : IClassFixture<Pwsh>, IDisposable
{
    private readonly Pwsh _pwsh;
    private readonly TempDir _temp = new();

    public PwshModuleTests(Pwsh pwsh) => _pwsh = pwsh;

    /// <summary>A fresh repository, a key and one backup of a small tree: $repo, $key, $id.</summary>
    private string Setup()
    {
        var folder = _temp.Sub(Guid.NewGuid().ToString("N")[..8]);
        return $$"""
        $ErrorActionPreference = 'Stop'
        Import-Module BackupTools
        $repo = {{Pwsh.Quote(folder + "/repo")}}; $key = {{Pwsh.Quote(folder + "/main.key")}}; $data = {{Pwsh.Quote(folder + "/data")}}
        New-Item -ItemType Directory -Force $data | Out-Null
        Set-Content -Path (Join-Path $data 'a.txt') -Value 'hello'
        Initialize-BackupRepository -Format v1 -Path $repo | Out-Null
        New-BackupKey -Path $key | Out-Null
        $id = (Backup-Cell -Name crm -Path $data -Repository $repo -KeyFile $key).Id
        $ErrorActionPreference = 'Continue'

        """;
    }

    [Fact]
    public void Imports_by_name_from_PSModulePath_with_every_cmdlet_of_the_manifest()
    {
        var json = _pwsh.Run("""
            Import-Module BackupTools -ErrorAction Stop
            $m = Get-Module BackupTools
            $manifest = Import-PowerShellDataFile (Join-Path $m.ModuleBase 'BackupTools.psd1')
            @{ Base = $m.ModuleBase; Version = $m.Version.ToString(); Exported = @($m.ExportedCmdlets.Keys | Sort-Object)
               Declared = @($manifest.CmdletsToExport | Sort-Object); PS = $PSVersionTable.PSVersion.ToString() } | ConvertTo-Json -Compress
            """).Json();
        Assert.Equal("7.6.9", json.GetProperty("PS").GetString());
        Assert.Equal(Path.Combine(_pwsh.ModulePath, "BackupTools"), json.GetProperty("Base").GetString());
        var declared = json.GetProperty("Declared").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.True(declared.Count >= 28);
        Assert.Equal(declared, json.GetProperty("Exported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void A_cmdlet_typed_without_Import_Module_loads_the_module_from_PSModulePath()
    {
        var json = _pwsh.Run($$"""
            $before = [bool](Get-Module BackupTools)
            New-BackupKey -Path {{Pwsh.Quote(_temp.Sub("auto.key"))}} | Out-Null
            @{ Before = $before; After = (Get-Module BackupTools).ModuleBase; Key = Test-Path {{Pwsh.Quote(_temp.Sub("auto.key"))}} } | ConvertTo-Json -Compress
            """).Json();
        Assert.False(json.GetProperty("Before").GetBoolean());
        Assert.Equal(Path.Combine(_pwsh.ModulePath, "BackupTools"), json.GetProperty("After").GetString());
        Assert.True(json.GetProperty("Key").GetBoolean());
    }

    [Fact]
    public void Every_cmdlet_has_full_help_and_examples()
    {
        var json = _pwsh.Run("""
            Import-Module BackupTools -ErrorAction Stop
            $problems = foreach ($c in (Get-Command -Module BackupTools).Name) {
                $full = Get-Help $c -Full
                $text = $full | Out-String
                if (-not $full.Synopsis -or $full.Synopsis -eq $c -or $full.Synopsis -match '^\s*\S+ \[') { "${c}: no synopsis" }
                if (-not ($full.description | Out-String).Trim()) { "${c}: no description" }
                if (@($full.parameters.parameter).Count -eq 0) { "${c}: no parameters in help" }
                if ($text -notmatch 'PARAMETERS') { "${c}: -Full shows no PARAMETERS" }
                $examples = Get-Help $c -Examples
                if (@($examples.examples.example).Count -eq 0 -or ($examples | Out-String) -notmatch 'Example 1') { "${c}: no examples" }
            }
            @{ Problems = @($problems); Count = (Get-Command -Module BackupTools).Count } | ConvertTo-Json -Compress
            """).Json();
        Assert.True(json.GetProperty("Count").GetInt32() >= 28);
        Assert.Empty(json.GetProperty("Problems").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Format_views_render_as_tables_with_their_columns()
    {
        var run = _pwsh.Run(Setup() + """
            Get-Backup -Repository $repo | Out-String -Width 200
            Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $key | Out-String -Width 200
            Get-BackupStatus -Repository $repo -MaxVerifyAge 8d | Out-String -Width 200
            """);
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var header in new[] { "Completed (UTC)", "Stored", "Passed", "FailedCheck", "Healthy", "LastSuccess" })
            Assert.Contains(header, run.Stdout);
        Assert.DoesNotContain("BackupTools.BackupRecord", run.Stdout);
        Assert.DoesNotContain("RawSha256", run.Stdout); // the default view shows few columns, not every property
    }

    [Fact]
    public void WhatIf_changes_nothing_and_Confirm_asks_and_obeys_the_answer()
    {
        var whatIf = _pwsh.Run(Setup() + """
            Remove-Backup -Id $id -Repository $repo -WhatIf
            @{ Left = @(Get-Backup -Repository $repo).Count } | ConvertTo-Json -Compress
            """);
        Assert.Contains("What if:", whatIf.Stdout);
        Assert.Equal(1, whatIf.Json().GetProperty("Left").GetInt32());

        // -Confirm in an interactive pwsh reads the answer from the console (here: stdin).
        var confirm = """
            Remove-Backup -Id $id -Repository $repo -Confirm
            @{ Left = @(Get-Backup -Repository $repo).Count } | ConvertTo-Json -Compress
            """;
        var no = _pwsh.Run(Setup() + confirm, stdin: "N\n");
        Assert.True(no.Stdout.Contains("Are you sure you want to perform this action?"), no.ToString());
        Assert.Equal(1, no.Json().GetProperty("Left").GetInt32());
        var yes = _pwsh.Run(Setup() + confirm, stdin: "Y\n");
        Assert.Equal(0, yes.Json().GetProperty("Left").GetInt32());
    }

    [Fact]
    public void A_long_backup_writes_progress_records_that_a_job_collects()
    {
        // Start-Job runs the backup in another pwsh process; its Progress stream is what a host would draw.
        var data = _temp.Sub("big");
        Directory.CreateDirectory(data);
        var random = new Random(7);
        // Progress is posted at most 5 times a second: the backup must last well over 200 ms even on a quiet,
        // fast machine (40 MB once took under that and left a single record).
        for (var i = 0; i < 40; i++)
        {
            var bytes = new byte[5 << 20];
            random.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(data, $"f{i:00}.bin"), bytes);
        }
        var json = _pwsh.Run(Setup() + $$"""
            $job = Start-Job -ScriptBlock { param($d, $r, $k) Import-Module BackupTools; Backup-Cell -Name big -Path $d -Repository $r -KeyFile $k } -ArgumentList {{Pwsh.Quote(data)}}, $repo, $key
            $record = $job | Wait-Job -Timeout 120 | Receive-Job
            $progress = @($job.ChildJobs[0].Progress)
            @{ State = "$($job.State)"; Id = $record.Id
               Percents = @($progress | Where-Object RecordType -EQ 'Processing' | ForEach-Object PercentComplete)
               Completed = @($progress | Where-Object RecordType -EQ 'Completed').Count
               Activity = @($progress | ForEach-Object Activity | Select-Object -Unique) } | ConvertTo-Json -Compress
            """, timeout: TimeSpan.FromMinutes(4)).Json();
        Assert.Equal("Completed", json.GetProperty("State").GetString());
        Assert.StartsWith(DateTime.UtcNow.Year.ToString(), json.GetProperty("Id").GetString());
        var percents = json.GetProperty("Percents").EnumerateArray().Select(e => e.GetInt32()).Where(p => p >= 0).ToList();
        Assert.True(percents.Count >= 2, "expected several progress records during a 200 MB backup: " + json);
        Assert.Equal(percents.Order(), percents);
        Assert.True(json.GetProperty("Completed").GetInt32() >= 1, "the progress bar is closed at the end: " + json);
    }

    [Fact]
    public void Errors_carry_their_FullyQualifiedErrorId_and_set_dollar_question_false()
    {
        var json = _pwsh.Run(Setup() + """
            $Error.Clear()
            Backup-Cell -Name crm -Path (Join-Path $repo 'no-such-folder') -Repository $repo -KeyFile $key
            $failed = $?
            $afterFailure = $Error[0]
            Get-Backup -Repository $repo | Out-Null
            $succeeded = $?
            try { Get-Backup -Repository (Join-Path $repo 'missing') -ErrorAction Stop; $caught = $null } catch { $caught = $_ }
            @{ Failed = $failed; Succeeded = $succeeded
               Id = $afterFailure.FullyQualifiedErrorId; Category = "$($afterFailure.CategoryInfo.Category)"
               Target = "$($afterFailure.TargetObject)"; Action = $afterFailure.ErrorDetails.RecommendedAction
               CaughtId = $caught.FullyQualifiedErrorId } | ConvertTo-Json -Compress
            """).Json();
        Assert.False(json.GetProperty("Failed").GetBoolean());
        Assert.True(json.GetProperty("Succeeded").GetBoolean());
        Assert.Matches(@"^\w+,BackupTools\.PowerShell\.Commands\.BackupCellCommand$", json.GetProperty("Id").GetString());
        Assert.DoesNotContain("UnexpectedFailure", json.GetProperty("Id").GetString());
        Assert.Equal("crm", json.GetProperty("Target").GetString());
        Assert.Matches(@"^\w+,BackupTools\.PowerShell\.Commands\.GetBackupCommand$", json.GetProperty("CaughtId").GetString());
    }

    public void Dispose() => _temp.Dispose();
}
