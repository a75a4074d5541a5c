using System.Diagnostics;
using System.Text.Json;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Module;

/// <summary>
/// The PowerShell Gallery path a user takes, in real pwsh 7.6.9: `build.ps1 -Package`, Publish-PSResource to a
/// local folder repository, Install-PSResource into an empty module path (a fresh HOME), Import-Module by name,
/// then the quickstart.
/// </summary>
public sealed class GalleryPackageTests : IDisposable
{
    private const string ProjectUri = "https://example.invalid/gallery-test-project";
    private readonly TempDir _temp = new();

    private static string Pwsh()
    {
        var pwsh = Path.Combine(RepoPaths.Root, ".tools", "pwsh", "pwsh");
        if (!File.Exists(pwsh))
            Assert.Fail($"pwsh 7.6.9 is not installed at {pwsh}: run scripts/test.sh (it installs it), or `dotnet tool install --tool-path .tools/pwsh PowerShell --version 7.6.9` in the repository root.");
        return pwsh;
    }

    private async Task<(int Code, string Out, string Err)> RunPwsh(string home, params string[] args)
    {
        var psi = new ProcessStartInfo(Pwsh()) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _temp.Path };
        foreach (var a in new[] { "-NoProfile", "-NonInteractive" }.Concat(args)) psi.ArgumentList.Add(a);
        // An empty user: its own module path, PSResourceGet settings and caches; nothing inherited from this process.
        psi.Environment["HOME"] = home;
        psi.Environment.Remove("XDG_DATA_HOME");
        psi.Environment.Remove("XDG_CONFIG_HOME");
        psi.Environment.Remove("XDG_CACHE_HOME");
        psi.Environment.Remove("PSModulePath");
        psi.Environment.Remove("BACKUPTOOLS_MODULE");
        psi.Environment.Remove("BACKUPTOOLS_PROJECT_URI");
        psi.Environment.Remove("BACKUPTOOLS_LICENSE_URI");
        psi.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["POWERSHELL_UPDATECHECK"] = "Off";
        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); Assert.Fail("pwsh hung: " + string.Join(' ', args)); }
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task The_package_publishes_installs_into_an_empty_module_path_imports_by_name_and_runs_the_quickstart()
    {
        var home = _temp.Sub("home");
        Directory.CreateDirectory(home);
        var dist = _temp.Sub("dist");
        var feed = _temp.Sub("feed");
        Directory.CreateDirectory(feed);

        var (built, buildOut, buildErr) = await RunPwsh(home, "-File", Path.Combine(RepoPaths.Root, "build.ps1"),
            "-Package", "-NoBuild", "-OutputPath", dist, "-ProjectUri", ProjectUri);
        Assert.True(built == 0, $"build.ps1 -Package failed ({built}): {buildOut}\n{buildErr}");
        // No license address was given: the manifest gets a marked placeholder, and the release manager is told.
        Assert.Contains("LicenseUri is a placeholder", buildOut + buildErr);

        var flow = _temp.Sub("flow.ps1");
        await File.WriteAllTextAsync(flow, """
            param([string] $Feed, [string] $Package, [string] $Quickstart, [string] $WorkDir, [string] $SourceManifest)
            $ErrorActionPreference = 'Stop'
            Register-PSResourceRepository -Name BtLocal -Uri $Feed -Trusted
            Publish-PSResource -Path $Package -Repository BtLocal
            Install-PSResource -Name BackupTools -Repository BtLocal -Scope CurrentUser -TrustRepository
            if (Get-Module BackupTools) { throw 'BackupTools was loaded before Import-Module' }
            Import-Module BackupTools
            $last = & $Quickstart -WorkDir $WorkDir | Select-Object -Last 1
            $m = Get-Module BackupTools
            $facts = [ordered]@{
                Quickstart = "$last"; ModuleBase = $m.ModuleBase; Version = "$($m.Version)"; Description = $m.Description
                Tags = @($m.Tags); ProjectUri = "$($m.ProjectUri)"; LicenseUri = "$($m.LicenseUri)"; ReleaseNotes = "$($m.ReleaseNotes)"
                CompatiblePSEditions = @($m.CompatiblePSEditions); PowerShellVersion = "$($m.PowerShellVersion)"
                Cmdlets = $m.ExportedCmdlets.Count; SourceCmdlets = (Import-PowerShellDataFile $SourceManifest).CmdletsToExport.Count; Synopsis = (Get-Help Backup-Cell).Synopsis
                FeedFiles = @(Get-ChildItem -LiteralPath $Feed -Name)
                FormatFiles = @($m.ExportedFormatFiles); RecordView = @((Get-FormatData -TypeName 'BackupTools.BackupRecord').FormatViewDefinition).Count
            }
            'FACTS:' + ($facts | ConvertTo-Json -Compress)
            """);
        var (code, output, error) = await RunPwsh(home, "-File", flow, "-Feed", feed, "-Package", Path.Combine(dist, "BackupTools"),
            "-Quickstart", Path.Combine(RepoPaths.Root, "examples", "quickstart.ps1"), "-WorkDir", _temp.Sub("quickstart"), "-SourceManifest", RepoPaths.ModuleManifest);
        Assert.True(code == 0, $"the gallery flow failed ({code}): {output}\n{error}");

        using var facts = JsonDocument.Parse(output.Split('\n').Single(l => l.StartsWith("FACTS:"))["FACTS:".Length..]);
        var f = facts.RootElement;
        string S(string name) => f.GetProperty(name).GetString() ?? "";
        string[] A(string name) => f.GetProperty(name).EnumerateArray().Select(e => e.GetString() ?? "").ToArray();

        Assert.StartsWith("Restored tree is identical to the original", S("Quickstart"));
        Assert.StartsWith(S("ModuleBase"), Assert.Single(A("FormatFiles"))); // the packaged format file, loaded
        Assert.True(f.GetProperty("RecordView").GetInt32() >= 1, "no view for BackupRecord");
        Assert.Contains("BackupTools.0.1.0.nupkg", A("FeedFiles"));
        Assert.StartsWith(Path.Combine(home, ".local", "share", "powershell", "Modules", "BackupTools"), S("ModuleBase"));
        Assert.Equal("0.1.0", S("Version"));
        Assert.Equal(f.GetProperty("SourceCmdlets").GetInt32(), f.GetProperty("Cmdlets").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(S("Description")));
        Assert.Contains("backup", A("Tags"));
        Assert.Equal(ProjectUri, S("ProjectUri"));
        Assert.StartsWith("https://example.invalid/", S("LicenseUri"));
        Assert.Contains("BackupTools 0.1.0", S("ReleaseNotes"));
        Assert.Equal(["Core"], A("CompatiblePSEditions"));
        Assert.Equal("7.4", S("PowerShellVersion"));
        Assert.False(string.IsNullOrWhiteSpace(S("Synopsis")));
        Assert.DoesNotContain("Backup-Cell [", S("Synopsis")); // auto-generated syntax would mean the packaged help is missing
    }

    [Fact]
    public async Task A_project_address_that_is_not_an_http_url_is_refused_naming_the_parameter()
    {
        var home = _temp.Sub("home");
        Directory.CreateDirectory(home);
        var (code, output, error) = await RunPwsh(home, "-File", Path.Combine(RepoPaths.Root, "build.ps1"),
            "-Package", "-NoBuild", "-OutputPath", _temp.Sub("dist"), "-ProjectUri", "github.com/somewhere");
        Assert.NotEqual(0, code);
        Assert.Contains("-ProjectUri 'github.com/somewhere'", output + error);
        Assert.Contains("absolute http(s) address", output + error);
        Assert.False(Directory.Exists(_temp.Sub("dist")));
    }

    public void Dispose() => _temp.Dispose();
}
