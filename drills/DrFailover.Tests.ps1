#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
<#
    DR drill: fail over to the DR site, prove every cell came back within its RPO/RTO, fail back.
    It REPLACES the DR site's data and moves traffic with your switch scripts: run it against a staging plan,
    or in a maintenance window.

        $env:BACKUPTOOLS_DRILL_PLAN = '/etc/backuptools/backup-staging.yml'
        $env:BACKUPTOOLS_DRILL_SITE = 'dr'
        ./drills/Invoke-Drill.ps1 ./drills/DrFailover.Tests.ps1 -ReportPath dr.xml
#>
BeforeDiscovery {
    # One test per cell of the plan, known before the failover runs (discovery happens before any BeforeAll):
    # a cell the failover left out then fails instead of silently producing no test.
    Import-Module BackupTools -ErrorAction Stop
    if (-not $env:BACKUPTOOLS_DRILL_PLAN -or -not $env:BACKUPTOOLS_DRILL_SITE) { throw 'Set BACKUPTOOLS_DRILL_PLAN and BACKUPTOOLS_DRILL_SITE.' }
    $Cells = @((Test-BackupPlan -Path $env:BACKUPTOOLS_DRILL_PLAN -ErrorAction SilentlyContinue).Cells | ForEach-Object { @{ Cell = $_ } })
}

BeforeAll {
    Import-Module BackupTools -ErrorAction Stop
    $script:Plan = $env:BACKUPTOOLS_DRILL_PLAN
    $script:Site = $env:BACKUPTOOLS_DRILL_SITE
}

Describe 'Failover to the DR site' -Tag 'DR' {
    BeforeAll {
        $script:Failover = Invoke-DrFailover -Plan $Plan -Site $Site -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'completes' {
        $Failover.StoppedBecause | Should -BeNullOrEmpty
        $Failover.Succeeded | Should -BeTrue
    }

    # A plan without cells fails 'completes'; an empty -ForEach would break discovery instead.
    if ($Cells.Count -gt 0) {
        It 'restores <Cell> within its RPO and RTO' -ForEach $Cells {
            $result = $Failover.Cells | Where-Object Cell -EQ $Cell
            $result | Should -Not -BeNullOrEmpty -Because "the plan has cell $Cell"
            $result.Succeeded | Should -BeTrue
            $result.RpoMet | Should -Not -BeFalse
            $result.RtoMet | Should -Not -BeFalse
        }

        It 'passes every health check of <Cell>' -ForEach $Cells {
            ($Failover.Cells | Where-Object Cell -EQ $Cell).Report.HealthChecks | Where-Object { -not $_.Passed } | Should -BeNullOrEmpty
        }
    }
}

Describe 'Failback to the primary' -Tag 'DR' {
    It 'brings the DR writes home and switches traffic back' {
        $failback = Invoke-DrFailback -Plan $Plan -Site $Site -Confirm:$false -ErrorAction SilentlyContinue
        $failback.StoppedBecause | Should -BeNullOrEmpty
        $failback.Succeeded | Should -BeTrue
    }
}
