# BackupTools quickstart: sample data → backup → verify → change → incremental → restore → compare.
# Needs no server. Runs in pwsh 7.4+ (`Import-Module BackupTools` once installed, or ./BackupTools.psd1 in a
# checkout) or through ./bt, which hosts PowerShell with its standard cmdlets and imports the module itself.
param(
    [string] $WorkDir = (Join-Path ([IO.Path]::GetTempPath()) 'backuptools-quickstart')
)
$ErrorActionPreference = 'Stop'

if (Test-Path -LiteralPath $WorkDir) { Remove-Item -LiteralPath $WorkDir -Recurse -Force }
$data = Join-Path $WorkDir 'data/crm'
$repo = Join-Path $WorkDir 'repo'
$key  = Join-Path $WorkDir 'backup.key'
$restored = Join-Path $WorkDir 'restored/crm'

# 1. Sample data: a few files, a nested folder, an empty folder, a symlink, a unicode name.
New-Item -ItemType Directory -Path (Join-Path $data 'conf'), (Join-Path $data 'uploads/empty') -Force | Out-Null
Set-Content -LiteralPath (Join-Path $data 'conf/app.yaml') -Value 'port: 8080'
Set-Content -LiteralPath (Join-Path $data 'uploads/résumé ✓.txt') -Value 'unicode names survive'
$random = [Random]::new(42); $bytes = [byte[]]::new(5MB); $random.NextBytes($bytes)
[IO.File]::WriteAllBytes((Join-Path $data 'uploads/blob.bin'), $bytes)
# .NET keeps the link target relative as given (New-Item -ItemType SymbolicLink may resolve it).
[void][IO.File]::CreateSymbolicLink((Join-Path $data 'current.yaml'), 'conf/app.yaml')

# 2. A repository and a key (the key file is created 0600; keep a copy somewhere safe).
Initialize-BackupRepository -Path $repo | Out-Default
New-BackupKey -Path $key | Out-Default

# 3. Full backup, verified in the same pipeline.
Backup-Cell -Name crm -Path $data -Repository $repo -KeyFile $key | Test-BackupIntegrity -KeyFile $key | Out-Default

# 4. Change the data and take an incremental: only what changed is stored, deletions are recorded.
Set-Content -LiteralPath (Join-Path $data 'conf/app.yaml') -Value 'port: 9090'
Remove-Item -LiteralPath (Join-Path $data 'uploads/résumé ✓.txt')
Backup-Cell -Name crm -Path $data -Repository $repo -KeyFile $key -Type Incremental | Test-BackupIntegrity -KeyFile $key | Out-Default

Get-Backup -Repository $repo -Cell crm | Out-Default

# 5. Restore the latest point (full + incremental) somewhere else and prove it is identical.
Restore-Cell -Name crm -Repository $repo -KeyFile $key -Destination $restored -Confirm:$false | Out-Default

function Get-TreeFingerprint([string] $root) {
    $lines = Get-ChildItem -LiteralPath $root -Recurse -Force | ForEach-Object {
        $rel = [IO.Path]::GetRelativePath($root, $_.FullName)
        if ($_.LinkTarget) { "$rel -> $($_.LinkTarget)" }
        elseif ($_.PSIsContainer) { "$rel/" }
        else { "$rel $((Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash)" }
    }
    ($lines | Sort-Object) -join "`n"
}
$same = (Get-TreeFingerprint $data) -eq (Get-TreeFingerprint $restored)
if (-not $same) { throw "The restored tree differs from the original." }
"Restored tree is identical to the original: $restored"
