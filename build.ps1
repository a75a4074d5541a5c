#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds the BackupTools module (and optionally runs the tests).
.DESCRIPTION
    Same result as `dotnet build BackupTools.sln -c Release`: the module lands in module/bin and
    ./BackupTools.psd1 imports it. Use this where pwsh is installed; elsewhere run dotnet directly.
.EXAMPLE
    ./build.ps1 -Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    [switch] $Test
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
dotnet build BackupTools.sln -c $Configuration -nologo
if ($LASTEXITCODE -ne 0) { throw "dotnet build failed with exit code $LASTEXITCODE" }
if ($Test) {
    dotnet test BackupTools.sln -c $Configuration --no-build -nologo
    if ($LASTEXITCODE -ne 0) { throw "tests failed with exit code $LASTEXITCODE" }
}
Write-Host "Module ready: Import-Module $(Join-Path $PSScriptRoot 'BackupTools.psd1')"
