#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    DR drill: fail over to the DR site, prove every cell came back within its RPO/RTO, fail back.
    It REPLACES the DR site's data and moves traffic with your switch scripts: run it against a staging plan,
    or in a maintenance window.

        $env:BACKUPTOOLS_DRILL_PLAN = '/etc/backuptools/backup-staging.yml'
        $env:BACKUPTOOLS_DRILL_SITE = 'dr'
        Invoke-Pester ./drills/DrFailover.Tests.ps1 -Output Detailed
#>
BeforeAll {
    Import-Module BackupTools -ErrorAction Stop
    $script:Plan = $env:BACKUPTOOLS_DRILL_PLAN
    $script:Site = $env:BACKUPTOOLS_DRILL_SITE
    if (-not $Plan -or -not $Site) { throw 'Set BACKUPTOOLS_DRILL_PLAN and BACKUPTOOLS_DRILL_SITE.' }
}

Describe 'Failover to the DR site' -Tag 'DR' {
    BeforeAll {
        $script:Failover = Invoke-DrFailover -Plan $Plan -Site $Site -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'completes' {
        $Failover.StoppedBecause | Should -BeNullOrEmpty
        $Failover.Succeeded | Should -BeTrue
    }

    It 'restores <_.Cell> within its RPO and RTO' -ForEach @($Failover.Cells) {
        $_.Succeeded | Should -BeTrue
        $_.RpoMet | Should -Not -BeFalse
        $_.RtoMet | Should -Not -BeFalse
    }

    It 'passes every health check of <_.Cell>' -ForEach @($Failover.Cells) {
        $_.Report.HealthChecks | Where-Object { -not $_.Passed } | Should -BeNullOrEmpty
    }
}

Describe 'Failback to the primary' -Tag 'DR' {
    It 'brings the DR writes home and switches traffic back' {
        $failback = Invoke-DrFailback -Plan $Plan -Site $Site -Confirm:$false -ErrorAction SilentlyContinue
        $failback.StoppedBecause | Should -BeNullOrEmpty
        $failback.Succeeded | Should -BeTrue
    }
}
