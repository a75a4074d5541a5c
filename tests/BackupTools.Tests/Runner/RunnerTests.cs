using System.Diagnostics;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Runner;

/// <summary>The script runner as cron uses it: a child process, its stdout/stderr and exit code.</summary>
public sealed class RunnerTests : IDisposable
{
    private readonly TempDir _temp = new();

    private static (int Code, string Out, string Err) Run(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "bin", "runner", "btrun.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin != null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "the runner hung");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private string Script(string text)
    {
        var path = _temp.Sub(Guid.NewGuid().ToString("N")[..6] + ".ps1");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Command_output_is_printed_and_exit_code_is_zero()
    {
        var (code, output, _) = Run(null, "-NoModule", "-Command", "1+1");
        Assert.Equal(0, code);
        Assert.Equal("2", output.Trim());
    }

    [Fact]
    public void File_gets_named_and_positional_arguments_and_exit_code_is_honoured()
    {
        var (code, output, _) = Run(null, "-NoModule", "-File", Script("param($Name, $Count)\n\"$Name x $Count\"\nexit 3\n"), "-Name", "bob", "2");
        Assert.Equal(3, code);
        Assert.Equal("bob x 2", output.Trim());
        Assert.Equal(5, Run(null, "-NoModule", "-Command", "exit 5").Code);
    }

    [Fact]
    public void A_written_error_goes_to_stderr_and_exits_1()
    {
        var (code, output, error) = Run(null, "-NoModule", "-Command", "Get-Command NoSuchThing; 'still running'");
        Assert.Equal(1, code);
        Assert.Contains("still running", output);
        Assert.Contains("NoSuchThing", error);
        Assert.Contains("CommandNotFoundException", error);
    }

    [Fact]
    public void Parse_error_exits_1_with_its_position()
    {
        var (code, _, error) = Run(null, "-NoModule", "-Command", "1 +* 2");
        Assert.Equal(1, code);
        Assert.Contains("line:1", error);
    }

    [Fact]
    public void WhatIf_text_is_shown_and_Confirm_without_a_terminal_answers_no_without_hanging()
    {
        var script = Script("function Remove-Thing { [CmdletBinding(SupportsShouldProcess, ConfirmImpact='High')] param() if ($PSCmdlet.ShouldProcess('the-target', 'Remove')) { 'REMOVED' } else { 'KEPT' } }\nRemove-Thing -WhatIf\nRemove-Thing -Confirm\n");
        var (code, output, error) = Run("y\n", "-NoModule", "-File", script);
        Assert.Contains("What if: Performing the operation \"Remove\" on target \"the-target\"", output);
        Assert.DoesNotContain("REMOVED", output);
        Assert.Contains("KEPT", output);
        Assert.Contains("-Confirm:$false", error);
        Assert.Equal(0, code);
    }

    [Fact]
    public void Usage_errors_exit_64()
    {
        Assert.Equal(64, Run(null, "-Bogus").Code);
        Assert.Equal(64, Run(null).Code);
        Assert.Equal(0, Run(null, "-Help").Code);
    }

    [Fact]
    public void Module_is_imported_and_objects_render_with_their_views()
    {
        var repo = _temp.Sub("repo");
        var (code, output, error) = Run(null, "-Command", $"Initialize-BackupRepository -Format v1 -Path '{repo}'; Get-Command -Module BackupTools | ForEach-Object Name");
        Assert.True(code == 0, error);
        Assert.Contains("Location", output);
        Assert.Contains("RequireEncryption", output); // the RepositoryInfo table view's header
        Assert.Contains("Restore-Cell", output);
    }

    [Fact]
    public void Missing_module_is_a_clear_error()
    {
        var (code, _, error) = Run(null, "-Module", "/nonexistent/BackupTools.psd1", "-Command", "1");
        Assert.Equal(1, code);
        Assert.Contains("-Module", error);
    }

    [Fact]
    public void Failing_backup_in_a_cron_line_exits_non_zero_with_the_error_id()
    {
        var (code, _, error) = Run(null, "-Command", $"Backup-Cell crm '{_temp.Path}' -Repository '{_temp.Sub("no-repo")}'");
        Assert.Equal(1, code);
        Assert.Contains("RepositoryNotFound", error);
        Assert.Contains("Initialize-BackupRepository", error);
    }

    public void Dispose() => _temp.Dispose();
}
