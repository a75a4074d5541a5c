using System.Diagnostics;
using System.Text.Json;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Pwsh;

/// <summary>
/// The real pwsh 7.6.9 (installed by scripts/test.sh into .tools/pwsh), with BackupTools installed the way users
/// install it: BackupTools.psd1 and module/ copied into a folder named BackupTools on PSModulePath (and Pester
/// 6.2.0 beside it). Scripts run as `pwsh -NoProfile -File`, so they see exactly what a user's shell sees.
/// Without pwsh these tests FAIL (they are part of the suite), saying how to install it.
/// </summary>
public sealed class Pwsh : IDisposable
{
    public static string Executable => Path.Combine(RepoPaths.Root, ".tools", "pwsh", "pwsh");
    public static string PesterModule => Path.Combine(RepoPaths.Root, ".tools", "packages", "pester", "6.2.0", "tools");
    private readonly TempDir _temp = new();

    public Pwsh()
    {
        if (!File.Exists(Executable))
            throw new InvalidOperationException($"pwsh 7.6.9 is not installed at {Executable}. Run scripts/test.sh once (it installs pwsh and Pester into .tools/), or: dotnet tool install --tool-path .tools/pwsh PowerShell --version 7.6.9");
        ModulePath = _temp.Sub("modules");
        var module = Path.Combine(ModulePath, "BackupTools");
        Directory.CreateDirectory(module);
        File.Copy(RepoPaths.ModuleManifest, Path.Combine(module, "BackupTools.psd1"));
        CopyTree(Path.Combine(RepoPaths.Root, "module"), Path.Combine(module, "module"));
        if (Directory.Exists(PesterModule)) Directory.CreateSymbolicLink(Path.Combine(ModulePath, "Pester"), PesterModule);
    }

    /// <summary>The folder on PSModulePath holding BackupTools (and Pester).</summary>
    public string ModulePath { get; }

    /// <summary>Runs a script file in a fresh pwsh; stdin lines answer prompts (then -NonInteractive is off).</summary>
    public PwshRun Run(string script, IReadOnlyDictionary<string, string>? environment = null, string? stdin = null, TimeSpan? timeout = null, params string[] arguments)
    {
        var file = _temp.Sub($"script-{Guid.NewGuid():N}.ps1");
        File.WriteAllText(file, script);
        return RunFile(file, environment, stdin, timeout, arguments);
    }

    public PwshRun RunFile(string file, IReadOnlyDictionary<string, string>? environment = null, string? stdin = null, TimeSpan? timeout = null, params string[] arguments)
    {
        var psi = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-NoProfile");
        if (stdin is null) psi.ArgumentList.Add("-NonInteractive");
        psi.ArgumentList.Add("-File");
        psi.ArgumentList.Add(file);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        return Start(psi, environment, stdin, timeout);
    }

    /// <summary>Any pwsh command line (e.g. the one a schedule registers).</summary>
    public PwshRun RunArguments(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        return Start(psi, environment, null, timeout);
    }

    private PwshRun Start(ProcessStartInfo psi, IReadOnlyDictionary<string, string>? environment, string? stdin, TimeSpan? timeout)
    {
        psi.Environment["PSModulePath"] = ModulePath;
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["TERM"] = "dumb";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin != null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pwsh did not finish; output so far: {stdout.Result}");
        }
        return new PwshRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A PowerShell single-quoted literal.</summary>
    public static string Quote(string text) => "'" + text.Replace("'", "''") + "'";

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    public void Dispose() => _temp.Dispose();
}

public sealed record PwshRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";

    /// <summary>The script's last output line, which the tests' scripts write as ConvertTo-Json -Compress.</summary>
    public JsonElement Json()
    {
        Assert.True(ExitCode == 0, ToString());
        var last = Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        Assert.True(last is not null && last.StartsWith('{'), "expected a JSON line last: " + this);
        return JsonDocument.Parse(last!).RootElement.Clone();
    }
}
