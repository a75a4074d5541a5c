<#
    CI run of the Pester drills (drills/*.Tests.ps1) against the real servers, as an operator would run them:
    a staging plan with one cell (a PostgreSQL and a MariaDB database and a directory) backed up by
    Invoke-BackupPlan and copied to an off-site target, and a DR site whose PostgreSQL and MariaDB are other
    servers (scripts/servers.sh in another state dir). Then the health drill and the DR failover/failback drill,
    each with a JUnit report in -ResultsDirectory. The last line is "N passed, N failed, N skipped" over both.

    Needs: BackupTools and Pester (5+) importable by name; the env of scripts/servers.sh (BT_PG_*, BT_MYSQL_*)
    and of the DR servers (BT_DR_PG_PORT, BT_DR_PG_PASSWORD, BT_DR_MYSQL_PORT, BT_DR_MYSQL_PASSWORD).
#>
param(
    [Parameter(Mandatory)] [string] $WorkDirectory,
    [Parameter(Mandatory)] [string] $ResultsDirectory,
    # Each drill runs in its own pwsh, as a scheduled drill would (a dotnet-tool pwsh runs as `dotnet pwsh.dll`,
    # so the path of the running one cannot be read from the process).
    [string] $Pwsh = 'pwsh'
)
$ErrorActionPreference = 'Stop'
Import-Module BackupTools
$work = New-Item -ItemType Directory -Force -Path $WorkDirectory
New-Item -ItemType Directory -Force -Path $ResultsDirectory | Out-Null
$suffix = Get-Random -Maximum 1000000
$pgDatabase = "bt_drill_shop_$suffix"
$myDatabase = "bt_drill_billing_$suffix"

# Primary data: a table in each database, a file in the directory.
# Passwords reach the clients through their environment variables, never argv.
function Invoke-Psql([string] $Port, [string] $Password, [string] $Database, [string] $Sql) {
    $env:PGPASSWORD = $Password
    try { & psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $Port -U $env:BT_PG_USER -d $Database -c $Sql } finally { $env:PGPASSWORD = $null }
    if ($LASTEXITCODE -ne 0) { throw "psql on port ${Port} failed: $Sql" }
}
function Invoke-MariaDb([string] $Port, [string] $Password, [string] $Sql) {
    $env:MYSQL_PWD = $Password
    try { & mariadb --protocol=tcp -h 127.0.0.1 -P $Port -u $env:BT_MYSQL_USER -e $Sql } finally { $env:MYSQL_PWD = $null }
    if ($LASTEXITCODE -ne 0) { throw "mariadb on port ${Port} failed: $Sql" }
}
try {
Invoke-Psql $env:BT_PG_PORT $env:BT_PG_PASSWORD postgres "create database $pgDatabase"
Invoke-Psql $env:BT_PG_PORT $env:BT_PG_PASSWORD $pgDatabase "create table orders(id int primary key, note text); insert into orders select g, 'order ' || g from generate_series(1, 500) g"
Invoke-MariaDb $env:BT_MYSQL_PORT $env:BT_MYSQL_PASSWORD "create database $myDatabase; create table $myDatabase.invoices(id int primary key, amount decimal(10,2)); insert into $myDatabase.invoices values (1, 9.50), (2, 19.99)"
New-Item -ItemType Directory -Force -Path "$work/files" | Out-Null
Set-Content -Path "$work/files/report.txt" -Value 'primary data'

$plan = "$work/backup.yml"
Set-Content -Path $plan -Value @"
version: 1
repository: local
targets:
  local: $work/repo
  offsite: $work/offsite
keys:
  - file: $work/main.key
cells:
  - name: shop
    rpo: 24h
    rto: 30min
    targets: [offsite]
    sources:
      - { name: db, type: postgres, server: $($env:BT_PG_HOST), port: $($env:BT_PG_PORT), user: $($env:BT_PG_USER), database: $pgDatabase, password: { env: BT_PG_PASSWORD } }
      - { name: billing, type: mysql, server: $($env:BT_MYSQL_HOST), port: $($env:BT_MYSQL_PORT), user: $($env:BT_MYSQL_USER), database: $myDatabase, password: { env: BT_MYSQL_PASSWORD } }
      - { name: files, type: directory, path: $work/files }
    healthChecks:
      - { name: db-port, tcp: "127.0.0.1:$($env:BT_DR_PG_PORT)" }
sites:
  dr:
    repository: $work/dr-repo
    syncFrom: offsite
    endpoints:
      shop/db: { server: 127.0.0.1, port: $($env:BT_DR_PG_PORT), password: { env: BT_DR_PG_PASSWORD } }
      shop/billing: { server: 127.0.0.1, port: $($env:BT_DR_MYSQL_PORT), password: { env: BT_DR_MYSQL_PASSWORD } }
      shop/files: { path: $work/dr-files }
    trafficSwitch: echo "traffic to `$BACKUPTOOLS_SITE" > $work/switched.txt
    failbackSwitch: echo "traffic home" > $work/switched.txt
"@

foreach ($repository in "$work/repo", "$work/offsite", "$work/dr-repo") { Initialize-BackupRepository -Format v1 -Path $repository | Out-Null }
New-BackupKey -Path "$work/main.key" | Out-Null
$run = Invoke-BackupPlan -Path $plan
if (-not $run.Succeeded) { throw "the drill's plan run failed: $run" }

$drills = @(
    @{ File = 'BackupHealth.Tests.ps1'; Report = 'drill-health.xml'; Env = @{ BACKUPTOOLS_DRILL_REPOSITORY = "$work/repo"; BACKUPTOOLS_KEY_FILE = "$work/main.key" } }
    @{ File = 'DrFailover.Tests.ps1'; Report = 'drill-dr.xml'; Env = @{ BACKUPTOOLS_DRILL_SITE = 'dr' } }
)
$passed = 0; $failed = 0; $skipped = 0
foreach ($drill in $drills) {
    $env:BACKUPTOOLS_DRILL_PLAN = $plan
    foreach ($name in $drill.Env.Keys) { Set-Item "env:$name" $drill.Env[$name] }
    $lines = & $Pwsh -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot '../drills/Invoke-Drill.ps1') (Join-Path $PSScriptRoot "../drills/$($drill.File)") -ReportPath (Join-Path $ResultsDirectory $drill.Report) -Output Detailed
    $lines | Out-Host
    foreach ($name in $drill.Env.Keys) { Remove-Item "env:$name" }
    if ($lines[-1] -match '^(\d+) passed, (\d+) failed, (\d+) skipped$') {
        $passed += [int]$Matches[1]; $failed += [int]$Matches[2]; $skipped += [int]$Matches[3]
    } else { $failed++ }
}
} finally {
  # Leave the servers as found: the drill's databases on both sites, and any a restore kept aside. Best effort:
  # a failed clean-up is a warning, never a changed drill result.
  try {
    foreach ($site in @{ Port = $env:BT_PG_PORT; Password = $env:BT_PG_PASSWORD }, @{ Port = $env:BT_DR_PG_PORT; Password = $env:BT_DR_PG_PASSWORD }) {
        $env:PGPASSWORD = $site.Password
        $names = & psql -At -h 127.0.0.1 -p $site.Port -U $env:BT_PG_USER -d postgres -c "select datname from pg_database where datname like '%$suffix%'"
        $env:PGPASSWORD = $null
        foreach ($name in $names) { Invoke-Psql $site.Port $site.Password postgres "drop database if exists `"$name`" with (force)" }
    }
    foreach ($site in @{ Port = $env:BT_MYSQL_PORT; Password = $env:BT_MYSQL_PASSWORD }, @{ Port = $env:BT_DR_MYSQL_PORT; Password = $env:BT_DR_MYSQL_PASSWORD }) {
        $env:MYSQL_PWD = $site.Password
        $names = & mariadb --protocol=tcp -h 127.0.0.1 -P $site.Port -u $env:BT_MYSQL_USER -N -e "select schema_name from information_schema.schemata where schema_name like '%$suffix%'"
        $env:MYSQL_PWD = $null
        foreach ($name in $names) { Invoke-MariaDb $site.Port $site.Password "drop database if exists ``$name``" }
    }
  } catch { Write-Warning "drill clean-up: $_" }
}
"$passed passed, $failed failed, $skipped skipped"
