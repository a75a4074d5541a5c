# BackupTools quickstart: sample data → backup → verify → change → incremental → restore → compare.
# Needs no server. Runs in pwsh 7.4+ (Import-Module ./BackupTools.psd1 first) or through ./bt, which hosts
# PowerShell itself. Uses .NET calls rather than Utility cmdlets so it runs in both.
param(
    [string] $WorkDir = [IO.Path]::Combine([IO.Path]::GetTempPath(), "backuptools-quickstart")
)
$ErrorActionPreference = 'Stop'

if ([IO.Directory]::Exists($WorkDir)) { [IO.Directory]::Delete($WorkDir, $true) }
$data = [IO.Path]::Combine($WorkDir, 'data', 'crm')
$repo = [IO.Path]::Combine($WorkDir, 'repo')
$key  = [IO.Path]::Combine($WorkDir, 'backup.key')
$restored = [IO.Path]::Combine($WorkDir, 'restored', 'crm')

# 1. Sample data: a few files, a nested folder, an empty folder, a symlink, a unicode name.
[void][IO.Directory]::CreateDirectory([IO.Path]::Combine($data, 'conf'))
[void][IO.Directory]::CreateDirectory([IO.Path]::Combine($data, 'uploads', 'empty'))
[IO.File]::WriteAllText([IO.Path]::Combine($data, 'conf', 'app.yaml'), "port: 8080`n")
[IO.File]::WriteAllText([IO.Path]::Combine($data, 'uploads', 'résumé ✓.txt'), "unicode names survive`n")
$random = [Random]::new(42); $bytes = [byte[]]::new(5MB); $random.NextBytes($bytes)
[IO.File]::WriteAllBytes([IO.Path]::Combine($data, 'uploads', 'blob.bin'), $bytes)
[void][IO.File]::CreateSymbolicLink([IO.Path]::Combine($data, 'current.yaml'), 'conf/app.yaml')

# 2. A repository and a key (the key file is created 0600; keep a copy somewhere safe).
Initialize-BackupRepository -Path $repo | Out-Default
New-BackupKey -Path $key | Out-Default

# 3. Full backup, verified in the same pipeline.
Backup-Cell -Name crm -Path $data -Repository $repo -KeyFile $key | Test-BackupIntegrity -KeyFile $key | Out-Default

# 4. Change the data and take an incremental: only what changed is stored, deletions are recorded.
[IO.File]::WriteAllText([IO.Path]::Combine($data, 'conf', 'app.yaml'), "port: 9090`n")
[IO.File]::Delete([IO.Path]::Combine($data, 'uploads', 'résumé ✓.txt'))
Backup-Cell -Name crm -Path $data -Repository $repo -KeyFile $key -Type Incremental | Test-BackupIntegrity -KeyFile $key | Out-Default

Get-Backup -Repository $repo -Cell crm | Out-Default

# 5. Restore the latest point (full + incremental) somewhere else and prove it is identical.
Restore-Cell -Name crm -Repository $repo -KeyFile $key -Destination $restored -Confirm:$false | Out-Default

function Get-TreeFingerprint([string] $root) {
    $sha = [Security.Cryptography.SHA256]::Create()
    $lines = foreach ($info in [IO.DirectoryInfo]::new($root).EnumerateFileSystemInfos('*', [IO.SearchOption]::AllDirectories)) {
        $rel = [IO.Path]::GetRelativePath($root, $info.FullName)
        if ($info.LinkTarget) { "$rel -> $($info.LinkTarget)" }
        elseif ($info -is [IO.DirectoryInfo]) { "$rel/" }
        else { "$rel $([Convert]::ToHexString($sha.ComputeHash([IO.File]::ReadAllBytes($info.FullName))))" }
    }
    $sorted = [string[]]@($lines); [Array]::Sort($sorted, [StringComparer]::Ordinal)
    $sorted -join "`n"
}
$same = (Get-TreeFingerprint $data) -eq (Get-TreeFingerprint $restored)
if (-not $same) { throw "The restored tree differs from the original." }
"Restored tree is identical to the original: $restored"
