# Writes COUNT small synthetic backups into a repository through the real writing code path (BackupWriter:
# data object, catalog entry, manifest, and the writers' catalog folds), as 50 clusters × 3 sources would over
# time: postgres / mysql / redis manifests with realistic engine facts. Used by bench/catalog-listing.sh.
param([Parameter(Mandatory)] [string] $Repository, [Parameter(Mandatory)] [int] $Count, [string] $Writer = 'w0')
$ErrorActionPreference = 'Stop'
function CoreType([string] $name) { [BackupTools.Loader.PrivateLoadContext]::Instance.LoadFromAssemblyName([Reflection.AssemblyName]::new('BackupTools.Core')).GetType($name, $true) }
$credential = if ($env:AWS_ACCESS_KEY_ID) { (CoreType BackupTools.Core.Storage.StorageCredential)::new($env:AWS_ACCESS_KEY_ID, $env:AWS_SECRET_ACCESS_KEY) } else { $null }
$repo = (CoreType BackupTools.Core.Repository.RepositoryReference)::new($Repository, $credential).Open()
$none = [Threading.CancellationToken]::None
$lockType = CoreType BackupTools.Core.Repository.WriterLock
$planType = CoreType BackupTools.Core.Repository.BackupPlan
$kindType = CoreType BackupTools.BackupKind
$compression = (CoreType BackupTools.Core.Pipeline.Compression.CompressionSettings)::Default
$payload = [Text.Encoding]::UTF8.GetBytes('synthetic backup payload')
$engines = 'postgres', 'mysql', 'redis'
$tables = (1..8 | ForEach-Object { "{`"table`":`"public.table_$_`",`"rows`":$($_ * 12345),`"exact`":true}" }) -join ','
$facts = @{
  postgres = "{`"format`":`"custom`",`"database`":`"app`",`"serverVersion`":`"15.8`",`"encoding`":`"UTF8`",`"databaseBytes`":734003200,`"pgDumpVersion`":15,`"tables`":[$tables]}"
  mysql    = "{`"flavor`":`"MariaDB`",`"serverVersion`":`"10.11.6`",`"database`":`"app`",`"characterSet`":`"utf8mb4`",`"collation`":`"utf8mb4_general_ci`",`"dumpTool`":`"mariadb-dump`",`"binlogFile`":`"mysql-bin.000042`",`"binlogPosition`":91234,`"gtidSet`":`"0-1-4242`",`"tables`":[$tables]}"
  redis    = "{`"mode`":`"replication`",`"transfer`":`"disk`",`"serverVersion`":`"7.0.15`",`"redisMode`":`"standalone`",`"usedMemory`":104857600,`"rdbVersion`":10,`"rdbBytes`":52428800,`"keys`":250000,`"databaseCount`":1,`"databases`":[{`"db`":0,`"keys`":250000,`"expires`":1200}]}"
}
$sw = [Diagnostics.Stopwatch]::StartNew()
$lock = $null
for ($i = 0; $i -lt $Count; $i++) {
  # A lease per 250 backups, as a stream of backup jobs would hold: its list of claimed ids stays short.
  if ($i % 250 -eq 0) { if ($lock) { $lock.Dispose() }; $lock = $lockType::AcquireShared($repo, "catalog bench $Writer", [TimeSpan]::FromSeconds(600), $none) }
  $engine = $engines[$i % 3]
  $cell = "cluster{0:D2}" -f ([int][math]::Floor($i / 3) % 50 + 1)
  $plan = $planType::new($cell, "db-$cell.internal:5432/app", $engine, $kindType::Full, $null, $compression, $null)
  $backup = $repo.BeginBackup($plan, $null, $none)
  try {
    $data = $backup.OpenObject('data')
    $data.Write($payload, 0, $payload.Length)
    [void] $data.Complete()
    [void] $backup.Complete([System.Text.Json.Nodes.JsonNode]::Parse($facts[$engine]))
  } finally { $backup.Dispose() }
  if (($i + 1) % 5000 -eq 0) { [Console]::Error.WriteLine("$Writer : $($i + 1) backups, $([int]$sw.Elapsed.TotalSeconds) s") }
}
$lock.Dispose()
$repo.Dispose()
