#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Backup health drill: is the plan valid, is every series fresh and verified, do the newest backups restore?
    Safe to run any time (reads, and restore tests into throwaway databases only).

        $env:BACKUPTOOLS_DRILL_PLAN = '/etc/backuptools/backup.yml'
        $env:BACKUPTOOLS_DRILL_REPOSITORY = '/backups/main'
        $env:BACKUPTOOLS_KEY_FILE = '/etc/backuptools/main.key'
        ./drills/Invoke-Drill.ps1 ./drills/BackupHealth.Tests.ps1 -ReportPath health.xml
#>
BeforeDiscovery {
    # -ForEach data must exist when Pester discovers the tests, which happens before any BeforeAll runs.
    # Reading the status is side-effect free, so it is safe here.
    Import-Module BackupTools -ErrorAction Stop
    if (-not $env:BACKUPTOOLS_DRILL_PLAN -or -not $env:BACKUPTOOLS_DRILL_REPOSITORY) { throw 'Set BACKUPTOOLS_DRILL_PLAN and BACKUPTOOLS_DRILL_REPOSITORY.' }
    $Statuses = @(Get-BackupStatus -Repository $env:BACKUPTOOLS_DRILL_REPOSITORY -MaxVerifyAge 8d -ErrorAction SilentlyContinue)
}

BeforeAll {
    Import-Module BackupTools -ErrorAction Stop
    $script:Plan = $env:BACKUPTOOLS_DRILL_PLAN
    $script:Repository = $env:BACKUPTOOLS_DRILL_REPOSITORY
}

Describe 'The backup plan' {
    It 'is valid' {
        $result = Test-BackupPlan -Path $Plan -ErrorAction SilentlyContinue
        $result.Problems | Should -BeNullOrEmpty
        $result.Valid | Should -BeTrue
    }
}

Describe 'Every backup series' {
    It 'exists' {
        @(Get-BackupStatus -Repository $Repository -ErrorAction SilentlyContinue).Count | Should -BeGreaterThan 0
    }

    # No series at all fails 'exists' above; an empty -ForEach would break discovery instead.
    if ($Statuses.Count -gt 0) {
        It '<_.Cell>/<_.Engine> <_.Source> is healthy' -ForEach $Statuses {
            $_.Warnings | Should -BeNullOrEmpty
        }
    }
}

Describe 'The newest backups' {
    It 'pass every integrity check' {
        $results = @(Get-Backup -Repository $Repository -Latest | Test-BackupIntegrity -ErrorAction SilentlyContinue)
        $results | Should -Not -BeNullOrEmpty
        $results | Where-Object { -not $_.Passed } | ForEach-Object { "$($_.Id): $($_.FailedCheck)" } | Should -BeNullOrEmpty
    }

    It 'leave an audit trail' {
        Get-BackupAudit -Repository $Repository -Since (Get-Date).AddDays(-2) -Operation backup | Should -Not -BeNullOrEmpty
    }
}
