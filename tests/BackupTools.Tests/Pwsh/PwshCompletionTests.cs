using System.Text.Json;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Postgres;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Pwsh;

/// <summary>Tab completion in real pwsh (TabExpansion2, what the console's Tab calls) from the repository and the plan.</summary>
[Collection("servers")]
public sealed class PwshCompletionTests : IClassFixture<Pwsh>, IDisposable
{
    private readonly Pwsh _pwsh;
    private readonly TempDir _temp = new();

    public PwshCompletionTests(Pwsh pwsh) => _pwsh = pwsh;

    /// <summary>Repository $repo with backups of cells crm (twice) and billing; $crm = crm's ids, newest first.</summary>
    private string Setup() => $$"""
        $ErrorActionPreference = 'Stop'
        Import-Module BackupTools
        $repo = {{Pwsh.Quote(_temp.Sub("repo"))}}; $key = {{Pwsh.Quote(_temp.Sub("main.key"))}}; $data = {{Pwsh.Quote(_temp.Sub("data"))}}
        New-Item -ItemType Directory -Force $data | Out-Null
        Set-Content -Path (Join-Path $data 'a.txt') -Value 'hello'
        Initialize-BackupRepository -Format v1 -Path $repo | Out-Null
        New-BackupKey -Path $key | Out-Null
        $crm = @((Backup-Cell -Name crm -Path $data -Repository $repo -KeyFile $key).Id)
        Start-Sleep -Milliseconds 1100
        $crm = @((Backup-Cell -Name crm -Path $data -Repository $repo -KeyFile $key -Type Full).Id) + $crm
        Backup-Cell -Name billing -Path $data -Repository $repo -KeyFile $key | Out-Null
        function Complete([string] $line) { @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText) }

        """;

    [Fact]
    public void Cell_and_Name_complete_from_the_repository_also_when_it_is_given_relative_to_the_current_location()
    {
        var json = _pwsh.Run(Setup() + """
            Set-Location (Split-Path $repo)   # pwsh's location, not the process's directory
            @{ All = Complete "Get-Backup -Repository $repo -Cell "
               Prefix = Complete "Restore-Cell -Repository $repo -Name cr"
               Relative = Complete 'Invoke-BackupRetention -Repository ./repo -Cell '
               FromEnvironment = $(& { $env:BACKUPTOOLS_REPOSITORY = $repo; Complete 'Get-BackupStatus -Cell b' }) } | ConvertTo-Json -Compress
            """).Json();
        Assert.Equal(["billing", "crm"], Strings(json, "All"));
        Assert.Equal(["crm"], Strings(json, "Prefix"));
        Assert.Equal(["billing", "crm"], Strings(json, "Relative"));
        Assert.Equal(["billing"], Strings(json, "FromEnvironment"));
    }

    [Fact]
    public void Id_completes_newest_first_and_only_the_named_cells_backups()
    {
        var json = _pwsh.Run(Setup() + """
            @{ Crm = $crm; All = Complete "Test-BackupIntegrity -Repository $repo -Id "
               OfCrm = Complete "Get-Backup -Repository $repo -Cell crm -Id "
               Prefix = Complete "Remove-Backup -Repository $repo -Id $($crm[1].Substring(0, 17))"
               NotAPostgresBackup = Complete "Restore-Postgres -Repository $repo -Id " } | ConvertTo-Json -Compress
            """).Json();
        var crm = Strings(json, "Crm");
        Assert.Equal(2, crm.Count);
        Assert.Equal(3, Strings(json, "All").Count);
        Assert.Equal(crm, Strings(json, "OfCrm"));
        Assert.Contains(crm[1], Strings(json, "Prefix"));
        Assert.DoesNotContain(crm[0], Strings(json, "Prefix"));
        Assert.Empty(Strings(json, "NotAPostgresBackup"));
    }

    [Fact]
    public void Cell_completes_from_the_plan_when_one_is_given()
    {
        var plan = _temp.Sub("backup.yml");
        File.WriteAllText(plan, $"""
            version: 1
            repository: {_temp.Sub("plan-repo")}
            cells:
              - name: shop
                sources:
                  - name: files
                    type: directory
                    path: {_temp.Sub("data")}
              - name: crm
                sources:
                  - name: files
                    type: directory
                    path: {_temp.Sub("data")}
            """);
        var json = _pwsh.Run($$"""
            Import-Module BackupTools
            function Complete([string] $line) { @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText) }
            @{ Restore = Complete "Restore-Cell -Plan {{plan}} -Name "; Run = Complete "Invoke-BackupPlan -Path {{plan}} -Cell s" } | ConvertTo-Json -Compress
            """).Json();
        Assert.Equal(["crm", "shop"], Strings(json, "Restore"));
        Assert.Equal(["shop"], Strings(json, "Run"));
    }

    [Fact]
    public void Restore_Postgres_Database_completes_the_databases_backed_up_in_the_repository()
    {
        using var first = new PgTestDatabase();
        using var second = new PgTestDatabase();
        var pg = TestServers.Postgres;
        var json = _pwsh.Run(Setup() + $$"""
            $cred = [pscredential]::new($env:BT_T_PG_USER, (ConvertTo-SecureString $env:BT_T_PG_PASSWORD -AsPlainText -Force))
            Backup-Postgres -Database {{first.Name}}, {{second.Name}} -Server {{pg.Host}} -Port {{pg.Port}} -Credential $cred -Repository $repo -KeyFile $key | Out-Null
            @{ All = Complete "Restore-Postgres -Repository $repo -Database "
               Prefix = Complete "Restore-Postgres -Repository $repo -Database {{first.Name}}"
               MySql = Complete "Restore-MySql -Repository $repo -Database " } | ConvertTo-Json -Compress
            """, new Dictionary<string, string> { ["BT_T_PG_USER"] = pg.User, ["BT_T_PG_PASSWORD"] = pg.Password }).Json();
        Assert.Equal(new[] { first.Name, second.Name }.Order(), Strings(json, "All"));
        Assert.Equal([first.Name], Strings(json, "Prefix"));
        Assert.Empty(Strings(json, "MySql"));
    }

    [Fact]
    public void Backup_Postgres_and_Backup_MySql_Database_complete_from_the_server()
    {
        using var pgDb = new PgTestDatabase(seed: false);
        using var myDb = new BackupTools.Tests.MySql.MySqlTestDatabase(seed: false);
        var (pg, my) = (TestServers.Postgres, TestServers.MySql);
        var json = _pwsh.Run($$"""
            Import-Module BackupTools
            function Complete([string] $line) { @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText) }
            $pgCred = [pscredential]::new($env:BT_T_PG_USER, (ConvertTo-SecureString $env:BT_T_PG_PASSWORD -AsPlainText -Force))
            $myCred = [pscredential]::new($env:BT_T_MY_USER, (ConvertTo-SecureString $env:BT_T_MY_PASSWORD -AsPlainText -Force))
            @{ Pg = Complete 'Backup-Postgres -Server {{pg.Host}} -Port {{pg.Port}} -Credential $pgCred -Database {{pgDb.Name[..6]}}'
               My = Complete 'Backup-MySql -Server {{my.Host}} -Port {{my.Port}} -Credential $myCred -Database {{myDb.Name[..6]}}'
               Unreachable = Complete 'Backup-Postgres -Server 127.0.0.1 -Port 9 -Credential $pgCred -Database ' } | ConvertTo-Json -Compress
            """, new Dictionary<string, string>
            {
                ["BT_T_PG_USER"] = pg.User, ["BT_T_PG_PASSWORD"] = pg.Password, ["BT_T_MY_USER"] = my.User, ["BT_T_MY_PASSWORD"] = my.Password,
            }).Json();
        Assert.Contains(pgDb.Name, Strings(json, "Pg"));
        Assert.DoesNotContain("template0", Strings(json, "Pg"));
        Assert.Contains(myDb.Name, Strings(json, "My"));
        Assert.Empty(Strings(json, "Unreachable"));
    }

    private static List<string> Strings(JsonElement json, string name) =>
        json.GetProperty(name).ValueKind == JsonValueKind.Array ? json.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToList()
        : json.GetProperty(name).ValueKind == JsonValueKind.Null ? [] : [json.GetProperty(name).GetString()!];

    public void Dispose() => _temp.Dispose();
}
