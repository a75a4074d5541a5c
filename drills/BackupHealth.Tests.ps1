#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    Backup health drill: is the plan valid, is every series fresh and verified, do the newest backups restore?
    Safe to run any time (reads, and restore tests into throwaway databases only).

        $env:BACKUPTOOLS_DRILL_PLAN = '/etc/backuptools/backup.yml'
        $env:BACKUPTOOLS_DRILL_REPOSITORY = '/backups/main'
        $env:BACKUPTOOLS_KEY_FILE = '/etc/backuptools/main.key'
        Invoke-Pester ./drills/BackupHealth.Tests.ps1 -Output Detailed
#>
BeforeAll {
    Import-Module BackupTools -ErrorAction Stop
    $script:Plan = $env:BACKUPTOOLS_DRILL_PLAN
    $script:Repository = $env:BACKUPTOOLS_DRILL_REPOSITORY
    if (-not $Plan -or -not $Repository) { throw 'Set BACKUPTOOLS_DRILL_PLAN and BACKUPTOOLS_DRILL_REPOSITORY.' }
}

Describe 'The backup plan' {
    It 'is valid' {
        $result = Test-BackupPlan -Path $Plan -ErrorAction SilentlyContinue
        $result.Problems | Should -BeNullOrEmpty
        $result.Valid | Should -BeTrue
    }
}

Describe 'Every backup series' {
    BeforeAll {
        $script:Statuses = @(Get-BackupStatus -Repository $Repository -MaxVerifyAge 8d -ErrorAction SilentlyContinue)
    }

    It 'exists' {
        $Statuses.Count | Should -BeGreaterThan 0
    }

    It '<_.Cell>/<_.Engine> <_.Source> is healthy' -ForEach $Statuses {
        $_.Warnings | Should -BeNullOrEmpty
    }
}

Describe 'The newest backups' {
    It 'pass every integrity check' {
        $results = @(Get-Backup -Repository $Repository -Latest | Test-BackupIntegrity -ErrorAction SilentlyContinue)
        $results | Where-Object { -not $_.Passed } | ForEach-Object { "$($_.Id): $($_.FailedCheck)" } | Should -BeNullOrEmpty
    }

    It 'leave an audit trail' {
        Get-BackupAudit -Repository $Repository -Since (Get-Date).AddDays(-2) -Operation backup | Should -Not -BeNullOrEmpty
    }
}
