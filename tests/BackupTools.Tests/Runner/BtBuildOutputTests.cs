using System.Diagnostics;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Runner;

/// <summary>
/// ./bt builds on first use. That build must not bury the script's output: one line on stderr, the compiler's
/// output in obj/bt-build.log, shown only when the build fails. Proven on a stand-in checkout whose "runner" is a
/// tiny program that compiles with a warning (the real solution would take minutes).
/// </summary>
public sealed class BtBuildOutputTests : IDisposable
{
    private readonly TempDir _temp = new();

    private string StandInCheckout(string programBody)
    {
        var root = _temp.Path;
        File.Copy(Path.Combine(RepoPaths.Root, "bt"), Path.Combine(root, "bt"));
        File.SetUnixFileMode(Path.Combine(root, "bt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Path.Combine(root, "module", "bin"));
        File.WriteAllText(Path.Combine(root, "module", "bin", "BackupTools.PowerShell.dll"), "");
        var project = Path.Combine(root, "runner");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "runner.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <AssemblyName>btrun</AssemblyName>
                <OutputPath>../bin/runner/</OutputPath>
                <AppendTargetFrameworkToOutputPath>false</AppendTargetFrameworkToOutputPath>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), programBody);
        File.WriteAllText(Path.Combine(root, "BackupTools.sln"), Solution);
        return root;
    }

    private static async Task<(int Code, string Out, string Err)> Bt(string root, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(root, "bt")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); Assert.Fail("./bt hung"); }
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task The_first_build_prints_one_line_and_keeps_its_warnings_in_the_log()
    {
        var root = StandInCheckout("""
            int unused;
            System.Console.WriteLine("script output: " + string.Join(",", args));
            """);

        var (code, output, error) = await Bt(root, "-Command", "1");

        Assert.True(code == 0, $"exit {code}: {output}\n{error}");
        Assert.Equal("script output: -Command,1", output.Trim());
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("bt: building BackupTools", line);
        Assert.Contains("CS0168", await File.ReadAllTextAsync(Path.Combine(root, "obj", "bt-build.log"))); // the warning, kept
    }

    [Fact]
    public async Task A_failed_build_shows_the_compiler_errors_and_exits_1()
    {
        var root = StandInCheckout("System.Console.WriteLine(\"no semicolon\")\n");

        var (code, output, error) = await Bt(root, "-Command", "1");

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains("CS1002", error); // "; expected", from the log shown on stderr
        Assert.Contains("bt: the build failed", error);
        Assert.Contains("obj/bt-build.log", error);
    }

    public void Dispose() => _temp.Dispose();

    private const string Solution = """

        Microsoft Visual Studio Solution File, Format Version 12.00
        # Visual Studio Version 17
        VisualStudioVersion = 17.0.31903.59
        MinimumVisualStudioVersion = 10.0.40219.1
        Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "runner", "runner\runner.csproj", "{6F1C5B7E-3D2A-4C8B-9E1F-2A3B4C5D6E7F}"
        EndProject
        Global
        	GlobalSection(SolutionConfigurationPlatforms) = preSolution
        		Release|Any CPU = Release|Any CPU
        	EndGlobalSection
        	GlobalSection(ProjectConfigurationPlatforms) = postSolution
        		{6F1C5B7E-3D2A-4C8B-9E1F-2A3B4C5D6E7F}.Release|Any CPU.ActiveCfg = Release|Any CPU
        		{6F1C5B7E-3D2A-4C8B-9E1F-2A3B4C5D6E7F}.Release|Any CPU.Build.0 = Release|Any CPU
        	EndGlobalSection
        EndGlobal
        """;
}
