using System.Management.Automation.Language;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Drills;

/// <summary>
/// The Pester drills shipped for pwsh users (drills/*.Tests.ps1) parse with the real PowerShell parser, and every
/// command they call is Pester's, a core PowerShell cmdlet, or one this module exports.
/// </summary>
public sealed class PesterDrillFileTests : IDisposable
{
    private static readonly string[] Pester = ["Describe", "Context", "It", "BeforeAll", "AfterAll", "BeforeEach", "AfterEach", "Should", "Invoke-Pester", "Mock", "BeforeDiscovery"];
    private static readonly string[] Core = ["Import-Module", "Where-Object", "ForEach-Object", "Get-Date", "Write-Host", "Write-Output", "Select-Object"];
    private readonly PsSession _ps = new();

    public static IEnumerable<object[]> DrillFiles() =>
        Directory.GetFiles(Path.Combine(RepoPaths.Root, "drills"), "*.Tests.ps1").Select(f => new object[] { Path.GetFileName(f) });

    [Fact]
    public void There_are_drills_for_backup_health_and_dr_failover()
    {
        Assert.Equal(["BackupHealth.Tests.ps1", "DrFailover.Tests.ps1"], DrillFiles().Select(f => (string)f[0]).Order());
    }

    [Theory]
    [MemberData(nameof(DrillFiles))]
    public void Drill_parses_and_calls_only_known_commands(string file)
    {
        var ast = Parser.ParseFile(Path.Combine(RepoPaths.Root, "drills", file), out _, out var errors);
        Assert.Empty(errors.Select(e => $"{e.Extent.StartLineNumber}: {e.Message}"));
        var exported = _ps.Run("(Get-Module BackupTools).ExportedCmdlets.Keys").AssertNoErrors().Output.Cast<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var called = ast.FindAll(a => a is CommandAst, searchNestedScriptBlocks: true).Cast<CommandAst>()
            .Select(c => c.GetCommandName()).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var unknown = called.Where(c => !exported.Contains(c) && !Pester.Contains(c, StringComparer.OrdinalIgnoreCase) && !Core.Contains(c, StringComparer.OrdinalIgnoreCase)).ToList();
        Assert.Empty(unknown);
        Assert.Contains(called, exported.Contains); // a drill exercises the module
    }

    [Fact]
    public void Every_BackupTools_parameter_a_drill_passes_exists_on_that_cmdlet()
    {
        foreach (var (file, _) in DrillFiles().Select(f => ((string)f[0], 0)))
        {
            var ast = Parser.ParseFile(Path.Combine(RepoPaths.Root, "drills", file), out _, out _);
            foreach (var command in ast.FindAll(a => a is CommandAst, true).Cast<CommandAst>())
            {
                var name = command.GetCommandName();
                if (name is null || !name.Contains("Backup", StringComparison.Ordinal) && !name.Contains("-Dr", StringComparison.Ordinal) && name != "Restore-Cell") continue;
                var parameters = _ps.Run("(Get-Command $n).Parameters.Keys", new Dictionary<string, object?> { ["n"] = name }).AssertNoErrors().Output.Cast<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
                foreach (var p in command.CommandElements.OfType<CommandParameterAst>())
                    Assert.True(parameters.Contains(p.ParameterName), $"{file}: {name} has no parameter -{p.ParameterName}");
            }
        }
    }

    public void Dispose() => _ps.Dispose();
}
