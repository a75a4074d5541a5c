#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds the BackupTools module, optionally runs the tests or makes the PowerShell Gallery package.
.DESCRIPTION
    Same result as `dotnet build BackupTools.sln -c Release`: the module lands in module/bin and
    ./BackupTools.psd1 imports it. Use this where pwsh is installed; elsewhere run dotnet directly.

    -Package also lays out a publishable module folder, <OutputPath>/BackupTools: a manifest with the
    gallery fields, the cmdlet assemblies, the format file, the help and the license. Publish it with
    `Publish-PSResource -Path <OutputPath>/BackupTools -Repository <name>`.

    The project and license addresses are not known to the source tree: give them with -ProjectUri and
    -LicenseUri (or $env:BACKUPTOOLS_PROJECT_URI / $env:BACKUPTOOLS_LICENSE_URI). Without them the manifest
    carries a placeholder on the reserved .invalid domain and a warning says so: set them before a release.
.EXAMPLE
    ./build.ps1 -Test
.EXAMPLE
    ./build.ps1 -Package -ProjectUri https://git.example.org/ops/backuptools -LicenseUri https://git.example.org/ops/backuptools/LICENSE
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    [switch] $Test,
    [switch] $Package,
    # Where -Package puts the BackupTools folder (replaced if it exists).
    [string] $OutputPath = (Join-Path $PSScriptRoot 'dist'),
    [string] $ProjectUri = $env:BACKUPTOOLS_PROJECT_URI,
    [string] $LicenseUri = $env:BACKUPTOOLS_LICENSE_URI,
    [string] $ReleaseNotes = $env:BACKUPTOOLS_RELEASE_NOTES,
    # Package what module/bin already holds (CI builds once, then packages).
    [switch] $NoBuild
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

if (-not $NoBuild) {
    dotnet build BackupTools.sln -c $Configuration -nologo
    if ($LASTEXITCODE -ne 0) { throw "dotnet build failed with exit code $LASTEXITCODE" }
}
if ($Test) {
    dotnet test BackupTools.sln -c $Configuration --no-build -nologo
    if ($LASTEXITCODE -ne 0) { throw "tests failed with exit code $LASTEXITCODE" }
}
if (-not $Package) {
    Write-Host "Module ready: Import-Module $(Join-Path $PSScriptRoot 'BackupTools.psd1')"
    return
}

# A placeholder must never pass for a real address: .invalid is reserved (RFC 2606) and never resolves.
function Resolve-Uri([string] $value, [string] $what, [string] $variable) {
    if ($value) {
        $uri = $null
        if (-not [Uri]::TryCreate($value, [UriKind]::Absolute, [ref] $uri) -or $uri.Scheme -notin 'https', 'http') {
            throw "-$what '$value' is not an absolute http(s) address. Give the project's real address, e.g. -$what https://…"
        }
        return $value
    }
    Write-Warning "$what is a placeholder (https://example.invalid/…): pass -$what or set `$env:$variable before publishing a release."
    return "https://example.invalid/set-$($variable.ToLowerInvariant())"
}

$built = Join-Path $PSScriptRoot 'module/bin/BackupTools.PowerShell.dll'
if (-not (Test-Path -LiteralPath $built)) { throw "The module is not built ($built is missing): run ./build.ps1 without -NoBuild." }
$source = Import-PowerShellDataFile -LiteralPath (Join-Path $PSScriptRoot 'BackupTools.psd1')
$version = $source.ModuleVersion
if (-not $ReleaseNotes) {
    $commit = git -C $PSScriptRoot rev-parse --short HEAD 2>$null
    $ReleaseNotes = "BackupTools $version" + $(if ($commit) { " (commit $commit)" }) + '. See README.md and docs/ in the source tree for what each cmdlet does.'
}
$ProjectUri = Resolve-Uri $ProjectUri 'ProjectUri' 'BACKUPTOOLS_PROJECT_URI'
$LicenseUri = Resolve-Uri $LicenseUri 'LicenseUri' 'BACKUPTOOLS_LICENSE_URI'

$target = Join-Path $OutputPath 'BackupTools'
if (Test-Path -LiteralPath $target) { Remove-Item -LiteralPath $target -Recurse -Force }
$bin = New-Item -ItemType Directory -Path (Join-Path $target 'bin') -Force
# Everything the cmdlets load (assemblies, deps, help in en-US); debug symbols stay out of the package.
Copy-Item -Path (Join-Path $PSScriptRoot 'module/bin/*') -Destination $bin -Recurse
Get-ChildItem -LiteralPath $bin -Filter '*.pdb' -Recurse | Remove-Item
Copy-Item -LiteralPath (Join-Path $PSScriptRoot 'module/BackupTools.Format.ps1xml') -Destination $target
Copy-Item -LiteralPath (Join-Path $PSScriptRoot 'LICENSE'), (Join-Path $PSScriptRoot 'README.md') -Destination $target

$manifest = @{
    Path                 = Join-Path $target 'BackupTools.psd1'
    # A nested module (as in ./BackupTools.psd1) so PowerShell finds the help beside it in bin/en-US.
    NestedModules        = @('bin/BackupTools.Loader.dll', 'bin/BackupTools.PowerShell.dll')
    FormatsToProcess     = @('BackupTools.Format.ps1xml')
    ModuleVersion        = $version
    Guid                 = $source.GUID
    Author               = $source.Author
    CompanyName          = $source.CompanyName
    Copyright            = $source.Copyright
    Description          = $source.Description
    PowerShellVersion    = $source.PowerShellVersion
    CompatiblePSEditions = $source.CompatiblePSEditions
    CmdletsToExport      = $source.CmdletsToExport
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    Tags                 = $source.PrivateData.PSData.Tags
    ProjectUri           = $ProjectUri
    LicenseUri           = $LicenseUri
    ReleaseNotes         = $ReleaseNotes
}
New-ModuleManifest @manifest
$checked = Test-ModuleManifest -Path $manifest.Path
Write-Host "Package ready: $target (BackupTools $($checked.Version)); publish with Publish-PSResource -Path '$target' -Repository <name>"
