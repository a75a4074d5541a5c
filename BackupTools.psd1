@{
    # The compiled module lives in module/bin (built by `dotnet build` or ./build.ps1). It is a nested
    # module so PowerShell finds its help in module/bin/en-US. The loader comes first: it loads the core and
    # the third-party libraries (module/bin/lib) in the module's own AssemblyLoadContext.
    NestedModules        = @('module/bin/BackupTools.Loader.dll', 'module/bin/BackupTools.PowerShell.dll')
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f7c1e-2a54-4d3f-9a8e-2f6c8f1d9b31'
    Author               = 'BackupTools'
    CompanyName          = 'BackupTools'
    Copyright            = '(c) BackupTools. MIT License.'
    Description          = 'Back up, verify, ship, prune and restore middleware data (PostgreSQL, MySQL/MariaDB, Redis, data directories) with typed, pipeable cmdlets.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('module/BackupTools.Format.ps1xml')
    CmdletsToExport      = @(
        'Initialize-BackupRepository'
        'New-BackupKey'
        'Update-BackupKey'
        'Repair-BackupRepository'
        'Backup-Cell'
        'Get-Backup'
        'Test-BackupIntegrity'
        'Restore-Cell'
        'Backup-Postgres'
        'Restore-Postgres'
        'Backup-PostgresBase'
        'Push-PostgresWal'
        'Receive-PostgresWal'
        'Restore-PostgresCluster'
        'Push-MySqlBinlog'
        'Backup-MySqlPhysical'
        'Restore-MySqlPhysical'
        'Backup-MySql'
        'Invoke-BackupRetention'
        'Remove-Backup'
        'Optimize-BackupRepository'
        'Get-BackupStatus'
        'Export-BackupMetrics'
        'Get-BackupAudit'
        'Test-BackupPlan'
        'Invoke-BackupPlan'
        'Invoke-DrFailover'
        'Invoke-DrFailback'
        'Copy-Backup'
        'Sync-BackupRepository'
        'Send-BackupAlert'
        'Register-BackupSchedule'
        'Get-BackupSchedule'
        'Unregister-BackupSchedule'
        'Backup-RedisRdb'
        'Restore-RedisRdb'
        'Backup-RedisAof'
        'Restore-MySql'
        'Backup-CommandOutput'
        'Restore-CommandOutput'
        'Backup-S3Bucket'
        'Restore-S3Bucket'
        'Backup-RabbitMqDefinitions'
        'Restore-RabbitMqDefinitions'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('backup', 'restore', 'postgresql', 'mysql', 'mariadb', 'redis', 'disaster-recovery')
            ProjectUri = ''
        }
    }
}
