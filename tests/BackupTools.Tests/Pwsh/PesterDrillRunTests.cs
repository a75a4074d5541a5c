using System.Xml.Linq;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Pwsh;

/// <summary>
/// The health drill run as operators run it: pwsh 7.6.9, Pester 6.2.0, drills/Invoke-Drill.ps1 writing a JUnit
/// report. (scripts/test.sh also runs both drills against the real servers; this proves the runner's verdicts.)
/// </summary>
public sealed class PesterDrillRunTests : IClassFixture<Pwsh>, IDisposable
{
    private readonly Pwsh _pwsh;
    private readonly TempDir _temp = new();
    private static string Drill(string name) => Path.Combine(RepoPaths.Root, "drills", name);

    public PesterDrillRunTests(Pwsh pwsh)
    {
        _pwsh = pwsh;
        Assert.True(Directory.Exists(Pwsh.PesterModule), $"Pester 6.2.0 is not installed at {Pwsh.PesterModule}: run scripts/test.sh once.");
    }

    /// <summary>A valid plan with one directory cell, backed up and verified by Invoke-BackupPlan.</summary>
    private string BackedUpPlan()
    {
        Directory.CreateDirectory(_temp.Sub("data"));
        File.WriteAllText(_temp.Sub("data/a.txt"), "hello");
        var plan = _temp.Sub("backup.yml");
        File.WriteAllText(plan, $"""
            version: 1
            repository: {_temp.Sub("repo")}
            keys:
              - file: {_temp.Sub("main.key")}
            cells:
              - name: crm
                sources:
                  - name: files
                    type: directory
                    path: {_temp.Sub("data")}
            """);
        var run = _pwsh.Run($$"""
            $ErrorActionPreference = 'Stop'
            Import-Module BackupTools
            Initialize-BackupRepository -Format v1 -Path {{Pwsh.Quote(_temp.Sub("repo"))}} | Out-Null
            New-BackupKey -Path {{Pwsh.Quote(_temp.Sub("main.key"))}} | Out-Null
            if (-not (Invoke-BackupPlan -Path {{Pwsh.Quote(plan)}}).Succeeded) { exit 3 }
            """);
        Assert.True(run.ExitCode == 0, run.ToString());
        return plan;
    }

    private PwshRun RunDrill(string drill, string report, string plan, string repository) =>
        _pwsh.RunFile(Drill("Invoke-Drill.ps1"), new Dictionary<string, string>
        {
            ["BACKUPTOOLS_DRILL_PLAN"] = plan, ["BACKUPTOOLS_DRILL_REPOSITORY"] = repository, ["BACKUPTOOLS_KEY_FILE"] = _temp.Sub("main.key"),
        }, timeout: TimeSpan.FromMinutes(4), arguments: [drill, "-ReportPath", report]);

    [Fact]
    public void The_health_drill_discovers_a_test_per_series_passes_and_writes_a_JUnit_report()
    {
        var plan = BackedUpPlan();
        var report = _temp.Sub("health.xml");
        var run = RunDrill(Drill("BackupHealth.Tests.ps1"), report, plan, _temp.Sub("repo"));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.EndsWith("5 passed, 0 failed, 0 skipped", run.Stdout.TrimEnd());

        var suites = XDocument.Load(report).Root!;
        Assert.Equal("testsuites", suites.Name.LocalName);
        Assert.Equal("5", suites.Attribute("tests")!.Value);
        Assert.Equal("0", suites.Attribute("failures")!.Value);
        Assert.Equal("0", suites.Attribute("errors")!.Value);
        var names = suites.Descendants("testcase").Select(t => t.Attribute("name")!.Value).ToList();
        Assert.Contains(names, n => n.Contains("crm/directory") && n.EndsWith("is healthy", StringComparison.Ordinal));
    }

    [Fact]
    public void The_health_drill_fails_with_the_failures_in_the_report_when_the_repository_has_no_backups()
    {
        var plan = BackedUpPlan();
        var empty = _temp.Sub("empty-repo");
        Assert.Equal(0, _pwsh.Run($"Import-Module BackupTools; Initialize-BackupRepository -Format v1 -Path {Pwsh.Quote(empty)} -ErrorAction Stop | Out-Null").ExitCode);
        var report = _temp.Sub("empty.xml");
        var run = RunDrill(Drill("BackupHealth.Tests.ps1"), report, plan, empty);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.NotEqual("0", XDocument.Load(report).Root!.Attribute("failures")!.Value);
    }

    [Fact]
    public void A_drill_file_that_discovers_no_test_fails()
    {
        var file = _temp.Sub("Nothing.Tests.ps1");
        File.WriteAllText(file, "Describe 'nothing here' { }\n");
        var run = RunDrill(file, _temp.Sub("nothing.xml"), "unused", "unused");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("no test was discovered", run.Stdout);
        Assert.EndsWith("0 passed, 1 failed, 0 skipped", run.Stdout.TrimEnd());
    }

    [Fact]
    public void A_monthly_drill_scheduled_as_docs_dr_md_shows_exits_1_when_the_drill_fails_and_0_when_it_passes()
    {
        var plan = BackedUpPlan();
        var empty = _temp.Sub("empty-repo");
        Assert.Equal(0, _pwsh.Run($"Import-Module BackupTools; Initialize-BackupRepository -Format v1 -Path {Pwsh.Quote(empty)} -ErrorAction Stop | Out-Null").ExitCode);
        var script = _temp.Sub("monthly-drill.ps1");
        // docs/dr.md "Scheduling a monthly drill", with this test's paths.
        File.WriteAllText(script, $$"""
            $env:BACKUPTOOLS_DRILL_PLAN = {{Pwsh.Quote(plan)}}
            $env:BACKUPTOOLS_DRILL_REPOSITORY = $env:BT_T_REPOSITORY
            $env:BACKUPTOOLS_DRILL_SITE = 'dr'
            pwsh -NoProfile -NonInteractive -File {{Pwsh.Quote(Drill("Invoke-Drill.ps1"))}} {{Pwsh.Quote(Drill("BackupHealth.Tests.ps1"))}} -Output Normal `
                -ReportPath "{{_temp.Sub("drill")}}-$(Get-Date -Format yyyyMM).xml"
            if ($LASTEXITCODE -ne 0) { Write-Error "The monthly drill failed (exit $LASTEXITCODE); see its report." }
            """);
        var command = BackupTools.Core.Scheduling.ScheduledCommand.Create(script, null, RepoPaths.Root, Pwsh.Executable);
        PwshRun Scheduled(string repository) => _pwsh.RunArguments(command.Arguments, new Dictionary<string, string>
        {
            ["BT_T_REPOSITORY"] = repository, ["BACKUPTOOLS_KEY_FILE"] = _temp.Sub("main.key"),
            ["PATH"] = Path.GetDirectoryName(Pwsh.Executable) + ":" + Environment.GetEnvironmentVariable("PATH"),
        }, TimeSpan.FromMinutes(4));

        var passed = Scheduled(_temp.Sub("repo"));
        Assert.True(passed.ExitCode == 0, passed.ToString());
        var failed = Scheduled(empty);
        Assert.True(failed.ExitCode == 1, failed.ToString());
        Assert.Contains("The monthly drill failed", failed.Stderr + failed.Stdout);
    }

    public void Dispose() => _temp.Dispose();
}
