<#
.SYNOPSIS
    Runs Pester drills (drills/*.Tests.ps1 by default) and writes a JUnit or NUnit XML report for CI dashboards.
.DESCRIPTION
    Fails (exit 1) when a test fails, when discovery fails, or when no test was discovered at all — a drill that
    runs nothing must not look green. The last line printed is "N passed, N failed, N skipped".
.EXAMPLE
    ./drills/Invoke-Drill.ps1 -ReportPath /var/lib/backuptools/drill.xml
.EXAMPLE
    ./drills/Invoke-Drill.ps1 ./drills/BackupHealth.Tests.ps1 -ReportPath health.xml -ReportFormat NUnit3
#>
[CmdletBinding()]
param(
    [string[]] $Path = @(Join-Path $PSScriptRoot '*.Tests.ps1'),
    [string] $ReportPath = (Join-Path (Get-Location) 'drill-results.xml'),
    [ValidateSet('JUnitXml', 'NUnitXml', 'NUnit3')]
    [string] $ReportFormat = 'JUnitXml',
    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')]
    [string] $Output = 'Detailed'
)
$ErrorActionPreference = 'Stop'
Import-Module Pester -MinimumVersion 5.0.0

$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = $Output
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = $ReportFormat
$configuration.TestResult.OutputPath = $ReportPath

$run = Invoke-Pester -Configuration $configuration
$problems = @()
if ($run.TotalCount -eq 0) { $problems += "no test was discovered in $($Path -join ', ')" }
if ($run.FailedBlocksCount -gt 0 -or $run.FailedContainersCount -gt 0) {
    $problems += "$($run.FailedContainersCount) drill file(s) and $($run.FailedBlocksCount) block(s) failed outside a test (setup or discovery)"
}
foreach ($problem in $problems) { Write-Host "drill: $problem" }
$failed = $run.FailedCount + $(if ($problems) { 1 } else { 0 })
"$($run.PassedCount) passed, $failed failed, $($run.SkippedCount + $run.NotRunCount) skipped"
exit $(if ($failed -gt 0) { 1 } else { 0 })
