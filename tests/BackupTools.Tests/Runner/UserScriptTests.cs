using System.Diagnostics;
using System.Text.Json;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Runner;

/// <summary>
/// Scripts as users write them for pwsh, run through ./bt: the standard cmdlets (Get-Date, Sort-Object,
/// ConvertTo-Json, Get-Credential…) must work there as they do in pwsh, not fail with "not recognized".
/// </summary>
public sealed class UserScriptTests : IDisposable
{
    private readonly TempDir _temp = new();

    private static async Task<(int Code, string Out, string Err)> Bt(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "bt")) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return await RunAsync(psi, stdin);
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(ProcessStartInfo psi, string? stdin)
    {
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin != null) await p.StandardInput.WriteAsync(stdin);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); Assert.Fail("the runner hung"); }
        p.StandardInput.Close();
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task A_backup_script_written_for_pwsh_runs_with_the_standard_cmdlets()
    {
        var work = _temp.Sub("work");
        var script = _temp.Sub("nightly.ps1");
        await File.WriteAllTextAsync(script, """
            param([string] $Work)
            $ErrorActionPreference = 'Stop'
            $started = Get-Date
            $data = Join-Path $Work 'data'
            $repo = Join-Path $Work 'repo'
            $key = Join-Path $Work 'backup.key'
            New-Item -ItemType Directory -Path (Join-Path $data 'conf') -Force | Out-Null
            Set-Content -Path (Join-Path $data 'conf/app.yaml') -Value 'port: 8080'
            if (-not (Test-Path $repo)) { Initialize-BackupRepository -Format v1 -Path $repo | Out-Null }
            if (-not (Test-Path $key)) { New-BackupKey -Path $key | Out-Null }
            $files = @(Get-ChildItem -Path $data -Recurse -File)
            Write-Host "backing up $($files.Count) file(s) at $(Get-Date -Format 'yyyy-MM-dd')"
            Backup-Cell -Name web -Path $data -Repository $repo -KeyFile $key | Out-Null
            Start-Sleep -Milliseconds 1100
            Set-Content -Path (Join-Path $data 'conf/app.yaml') -Value 'port: 9090'
            Backup-Cell -Name web -Path $data -Repository $repo -KeyFile $key -Type Incremental | Out-Null
            $records = Get-Backup -Repository $repo -Cell web | Sort-Object StartedAt -Descending | Select-Object Id, Kind, StoredBytes
            $records | ConvertTo-Json -EnumsAsStrings | Set-Content -Path (Join-Path $Work 'report.json')
            $secret = ConvertTo-SecureString 'not-a-real-secret' -AsPlainText -Force
            $s3 = [pscredential]::new('access-key-id', $secret)
            Write-Output "newest: $($records[0].Kind); credential for $($s3.UserName)"
            Write-Output ("took under a minute: {0}" -f (((Get-Date) - $started).TotalMinutes -lt 1))
            """);

        var (code, output, error) = await Bt(null, "-File", script, "-Work", work);

        Assert.True(code == 0, $"exit {code}: {error}");
        Assert.DoesNotContain("not recognized", error);
        Assert.Contains("backing up 1 file(s) at " + DateTime.Now.ToString("yyyy-MM-dd"), output);
        Assert.Contains("newest: Incremental; credential for access-key-id", output);
        Assert.Contains("took under a minute: True", output);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(work, "report.json")));
        var rows = report.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(["Incremental", "Full"], rows.Select(r => r.GetProperty("Kind").ToString()));
        Assert.All(rows, r => Assert.True(r.GetProperty("StoredBytes").GetInt64() > 0));
        Assert.Equal(2, rows.Select(r => r.GetProperty("Id").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task Write_Error_goes_to_stderr_and_fails_the_run_while_Write_Output_goes_on()
    {
        var (code, output, error) = await Bt(null, "-NoModule", "-Command", "Write-Error 'disk almost full'; Write-Output 'carried on'");
        Assert.Equal(1, code);
        Assert.Contains("carried on", output);
        Assert.Contains("disk almost full", error);
    }

    [Fact]
    public async Task The_READMEs_Get_Credential_line_without_a_terminal_is_a_clear_error_not_a_hang()
    {
        var readmeLine = File.ReadLines(Path.Combine(RepoPaths.Root, "README.md")).Single(l => l.StartsWith("$s3 = Get-Credential"));
        var (code, _, error) = await Bt("access-key-id\n", "-NoModule", "-Command", readmeLine);
        Assert.Equal(1, code);
        Assert.DoesNotContain("not recognized", error);
        Assert.Contains("Get-Credential", error);
        Assert.Contains("not interactive", error);
        Assert.Contains("ConvertTo-SecureString", error); // says how to build the credential instead
    }

    [Fact]
    public async Task Get_Credential_prompts_on_a_terminal_through_the_host()
    {
        // `script` gives the runner a pseudo-terminal, as a person at a shell has.
        var command = $"{Quote(Path.Combine(RepoPaths.Root, "bt"))} -NoModule -Command '$c = Get-Credential; \"user=$($c.UserName) length=$($c.Password.Length)\"'";
        var psi = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-qfec", command, "/dev/null" }) psi.ArgumentList.Add(a);
        var (code, output, error) = await RunAsync(psi, "alice\rs3cret\r");
        Assert.True(code == 0, $"exit {code}: {output} {error}");
        Assert.Contains("User:", output);
        Assert.Contains("Password for alice:", output);
        Assert.Contains("user=alice length=6", output);
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";

    public void Dispose() => _temp.Dispose();
}
