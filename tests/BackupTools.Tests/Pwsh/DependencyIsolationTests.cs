using System.Reflection;
using System.Text.Json;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Postgres;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Pwsh;

/// <summary>
/// BackupTools beside another module that ships other versions of its libraries, in one real pwsh: the other
/// module's YamlDotNet 13.1.1 and Npgsql 8.0.3 (ours: 18.x and 8.0.9). Without the module's own load context
/// the second one loaded fails ("Could not load file or assembly 'YamlDotNet, Version=18.0.0.0'…" or "Assembly
/// with same name is already loaded"), whichever order they come in.
/// </summary>
[Collection("servers")]
public sealed class DependencyIsolationTests : IClassFixture<Pwsh>, IDisposable
{
    private readonly Pwsh _pwsh;
    private readonly TempDir _temp = new();

    public DependencyIsolationTests(Pwsh pwsh) => _pwsh = pwsh;

    private static string PackageRoot =>
        typeof(DependencyIsolationTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NuGetPackageRoot").Value!;

    private static string OtherYamlDotNet => Path.Combine(PackageRoot, "yamldotnet", "13.1.1", "lib", "net6.0", "YamlDotNet.dll");
    private static string OtherNpgsql => Path.Combine(PackageRoot, "npgsql", "8.0.3", "lib", "net8.0", "Npgsql.dll");

    /// <summary>What another module does with its own copies: load them into the default context and use them.</summary>
    private static string LoadAndUseTheOtherModulesLibraries => $$"""
        Add-Type -Path {{Pwsh.Quote(OtherYamlDotNet)}}
        Add-Type -Path {{Pwsh.Quote(OtherNpgsql)}}
        $yaml = [YamlDotNet.RepresentationModel.YamlStream]::new(); $yaml.Load([IO.StringReader]::new('a: 1'))
        $other = @{ YamlNodes = $yaml.Documents[0].RootNode.Children.Count; NpgsqlHost = [Npgsql.NpgsqlConnectionStringBuilder]::new('Host=elsewhere').Host }

        """;

    /// <summary>A cell backup, a YAML plan run (YamlDotNet) and a PostgreSQL backup (Npgsql) with the module.</summary>
    private string BackUpWithBackupTools(PgTestDatabase db)
    {
        var pg = TestServers.Postgres;
        var folder = _temp.Sub(Guid.NewGuid().ToString("N")[..8]);
        return $$"""
            Import-Module BackupTools
            $repo = {{Pwsh.Quote(folder + "/repo")}}; $key = {{Pwsh.Quote(folder + "/main.key")}}; $data = {{Pwsh.Quote(folder + "/data")}}
            New-Item -ItemType Directory -Force $data | Out-Null
            Set-Content -Path (Join-Path $data 'a.txt') -Value 'hello'
            Initialize-BackupRepository -Format v1 -Path $repo | Out-Null
            New-BackupKey -Path $key | Out-Null
            $cell = (Backup-Cell -Name crm -Path $data -Repository $repo -KeyFile $key).Id
            $plan = Join-Path {{Pwsh.Quote(folder)}} 'backup.yml'
            "version: 1`nrepository: $repo`nkeys:`n  - file: $key`ncells:`n  - name: web`n    sources:`n      - name: files`n        type: directory`n        path: $data`n" | Set-Content $plan
            $summary = Invoke-BackupPlan -Path $plan | Select-Object -Last 1
            $cred = [pscredential]::new($env:BT_T_PG_USER, (ConvertTo-SecureString $env:BT_T_PG_PASSWORD -AsPlainText -Force))
            $pgRecord = Backup-Postgres -Database {{db.Name}} -Server {{pg.Host}} -Port {{pg.Port}} -Credential $cred -Repository $repo -KeyFile $key
            $ours = @{ Cell = $cell; PlanSucceeded = $summary.Succeeded; PlanFailed = $summary.Failed; Postgres = $pgRecord.Id
                       Verified = @(Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $key | Where-Object Passed).Count }

            """;
    }

    /// <summary>Every loaded copy of the shared libraries: name, version and load context.</summary>
    private const string Report = """
        $loaded = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in 'YamlDotNet', 'Npgsql', 'BackupTools.Core' } |
            ForEach-Object { "$($_.GetName().Name) $($_.GetName().Version) $([Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name)" } | Sort-Object)
        @{ Ours = $ours; Other = $other; Loaded = $loaded } | ConvertTo-Json -Compress -Depth 4
        """;

    [Fact]
    public void Other_versions_loaded_first_then_BackupTools_imports_and_backs_up()
    {
        using var db = new PgTestDatabase();
        AssertBothWork(_pwsh.Run("$ErrorActionPreference = 'Stop'\n" + LoadAndUseTheOtherModulesLibraries + BackUpWithBackupTools(db) + Report, PgEnvironment()));
    }

    [Fact]
    public void BackupTools_imported_and_used_first_then_other_versions_load_and_work()
    {
        using var db = new PgTestDatabase();
        AssertBothWork(_pwsh.Run("$ErrorActionPreference = 'Stop'\n" + BackUpWithBackupTools(db) + LoadAndUseTheOtherModulesLibraries + Report, PgEnvironment()));
    }

    private static Dictionary<string, string> PgEnvironment() =>
        new() { ["BT_T_PG_USER"] = TestServers.Postgres.User, ["BT_T_PG_PASSWORD"] = TestServers.Postgres.Password };

    private static void AssertBothWork(PwshRun run)
    {
        var json = run.Json();
        var ours = json.GetProperty("Ours");
        Assert.Contains("-crm-", ours.GetProperty("Cell").GetString());
        Assert.Equal(1, ours.GetProperty("PlanSucceeded").GetInt32());
        Assert.Equal(0, ours.GetProperty("PlanFailed").GetInt32());
        Assert.Contains("postgres", ours.GetProperty("Postgres").GetString());
        Assert.Equal(3, ours.GetProperty("Verified").GetInt32());
        var other = json.GetProperty("Other");
        Assert.Equal(1, other.GetProperty("YamlNodes").GetInt32());
        Assert.Equal("elsewhere", other.GetProperty("NpgsqlHost").GetString());
        // Each module has its own copy: the other one's in the default context, ours in BackupTools' context.
        var loaded = json.GetProperty("Loaded").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains("YamlDotNet 13.0.0.0 Default", loaded);
        Assert.Contains("Npgsql 8.0.3.0 Default", loaded);
        Assert.Contains(loaded, l => l.StartsWith("YamlDotNet 18.") && l.EndsWith(" BackupTools"));
        Assert.Contains("Npgsql 8.0.9.0 BackupTools", loaded);
        Assert.Contains(loaded, l => l.StartsWith("BackupTools.Core ") && l.EndsWith(" BackupTools"));
    }

    public void Dispose() => _temp.Dispose();
}
